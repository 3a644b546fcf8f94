package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

func TestProtocolServer_servesActionsAndListResources(t *testing.T) {
	if _, ok := ProtocolServer("test")().(*actionStopper); !ok {
		t.Fatal("the framework's server lost its actions or list resources behind the stopper: terraform-plugin-go would find neither")
	}
}

// slowToStopAction is a server whose action, once stopped, takes a while to say how far
// it got, as a call in flight does.
type slowToStopAction struct {
	fullServer
	said    chan string
	stopped chan struct{}
}

func (s *slowToStopAction) InvokeAction(ctx context.Context, _ *tfprotov6.InvokeActionRequest) (*tfprotov6.InvokeActionServerStream, error) {
	return &tfprotov6.InvokeActionServerStream{Events: func(push func(tfprotov6.InvokeActionEvent) bool) {
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond)
		push(tfprotov6.InvokeActionEvent{Type: tfprotov6.CompletedInvokeActionEventType{
			Diagnostics: []*tfprotov6.Diagnostic{{Severity: tfprotov6.DiagnosticSeverityError, Summary: "Interrupted"}},
		}})
	}}, nil
}

func (s *slowToStopAction) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	close(s.stopped)
	return &tfprotov6.StopProviderResponse{}, nil
}

func TestActionStopper_anInterruptedActionSaysSoBeforeTheStopGoesOn(t *testing.T) {
	downstream := &slowToStopAction{said: make(chan string, 1), stopped: make(chan struct{})}
	server := &actionStopper{fullServer: downstream, grace: 5 * time.Second, running: map[*runningAction]struct{}{}}

	stream, err := server.InvokeAction(t.Context(), &tfprotov6.InvokeActionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// terraform-plugin-go relays the events until its own stop, which comes after
	// StopProvider returns.
	go func() {
		for event := range stream.Events {
			completed, ok := event.Type.(tfprotov6.CompletedInvokeActionEventType)
			if !ok || len(completed.Diagnostics) == 0 {
				continue
			}
			select {
			case <-downstream.stopped:
				downstream.said <- "after the stop: " + completed.Diagnostics[0].Summary
			default:
				downstream.said <- completed.Diagnostics[0].Summary
			}
		}
	}()
	if _, err := server.StopProvider(t.Context(), &tfprotov6.StopProviderRequest{}); err != nil {
		t.Fatal(err)
	}
	select {
	case said := <-downstream.said:
		if said != "Interrupted" {
			t.Errorf("the action said %q, want Interrupted before the stop went on", said)
		}
	default:
		t.Error("the stop went on before the action said how far it got")
	}
	if len(server.running) != 0 {
		t.Errorf("%d actions still counted as running", len(server.running))
	}
}

func TestActionStopper_aStopWaitsNoLongerThanItsGrace(t *testing.T) {
	never := make(chan struct{})
	server := &actionStopper{fullServer: &slowToStopAction{stopped: make(chan struct{})}, grace: 20 * time.Millisecond, running: map[*runningAction]struct{}{
		{stop: func() {}, done: never}: {},
	}}
	start := time.Now()
	if _, err := server.StopProvider(t.Context(), &tfprotov6.StopProviderRequest{}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("the stop waited %s for an action that never ends", waited)
	}
}
