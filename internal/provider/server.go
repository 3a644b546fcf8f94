package provider

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// ProtocolServer is the provider's protocol server: the plugin framework's, with
// Terraform's stop (Ctrl-C) delivered to the running actions before the framework and
// terraform-plugin-go hear of it.
//
// terraform-plugin-go (v0.31) stops relaying an action's events once its own stop has
// run, so that the event with which an interrupted action says how far it got is
// dropped, and Terraform 1.14 reports the apply complete. Told first, each action stops
// before its next call and that event is sent; only then does the stop go on, after at
// most actionStopGrace.
func ProtocolServer(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		return newActionStopper(providerserver.NewProtocol6(New(version)())())
	}
}

// actionStopGrace is how long a stop waits for the running actions to send their last
// event: the call each has in flight ends with the stop, and a message follows.
const actionStopGrace = 10 * time.Second

// fullServer is what the framework's server serves: every RPC, actions and list
// resources included, which terraform-plugin-go finds by type assertion.
type fullServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ActionServer
	tfprotov6.ListResourceServer
}

// actionStopper is a server whose stop first stops its running actions and waits for
// their last event to be sent.
type actionStopper struct {
	fullServer
	grace time.Duration

	mu      sync.Mutex
	running map[*runningAction]struct{}
}

type runningAction struct {
	stop context.CancelFunc
	done chan struct{}
}

func newActionStopper(server tfprotov6.ProviderServer) tfprotov6.ProviderServer {
	full, ok := server.(fullServer)
	if !ok {
		return server // a framework without actions: nothing to stop first
	}
	return &actionStopper{fullServer: full, grace: actionStopGrace, running: map[*runningAction]struct{}{}}
}

func (s *actionStopper) InvokeAction(ctx context.Context, req *tfprotov6.InvokeActionRequest) (*tfprotov6.InvokeActionServerStream, error) {
	ctx, stop := context.WithCancel(ctx)
	action := &runningAction{stop: stop, done: make(chan struct{})}
	s.mu.Lock()
	s.running[action] = struct{}{}
	s.mu.Unlock()
	finished := func() {
		s.mu.Lock()
		delete(s.running, action)
		s.mu.Unlock()
		stop()
		close(action.done)
	}

	stream, err := s.fullServer.InvokeAction(ctx, req)
	if err != nil || stream == nil {
		finished()
		return stream, err
	}
	events := stream.Events
	stream.Events = func(push func(tfprotov6.InvokeActionEvent) bool) {
		// Returns once the last event was pushed, which sends it to Terraform.
		defer finished()
		events(push)
	}
	return stream, nil
}

func (s *actionStopper) StopProvider(ctx context.Context, req *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	s.mu.Lock()
	running := make([]*runningAction, 0, len(s.running))
	for action := range s.running {
		running = append(running, action)
	}
	s.mu.Unlock()

	for _, action := range running {
		action.stop()
	}
	deadline := time.NewTimer(s.grace)
	defer deadline.Stop()
wait:
	for _, action := range running {
		select {
		case <-action.done:
		case <-deadline.C:
			break wait
		}
	}
	return s.fullServer.StopProvider(ctx, req)
}
