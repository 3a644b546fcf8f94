package wechat_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// Terraform prints errors and logs into CI output, so neither may carry a credential. Go's
// *url.Error prints the request URL, whose query holds the access token, and servers in
// the way quote what they were sent: the client must strip both.
func TestClient_errorsNeverCarryTheAccessTokenOrTheAppSecret(t *testing.T) {
	servers := []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
	}{
		{"nothing listening", nil},
		{"connection closed without an answer", hangUp},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.RequestURI(), http.StatusTemporaryRedirect)
		}},
		{"redirect to a malformed address", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "http://[bad"+r.URL.RequestURI())
			w.WriteHeader(http.StatusFound)
		}},
		{"error page quoting the request", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "upstream refused %s %s", r.URL.RequestURI(), body)
		}},
		{"HTTP 200 page quoting the request", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "Cannot %s %s %s", r.Method, r.URL.RequestURI(), body)
		}},
	}
	// The second token holds characters the query escapes, so the URL carries another spelling.
	tokens := []string{"86_SECRETtoken-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH", "SECRET+token/with=escapes"}

	for _, server := range servers {
		t.Run(server.name, func(t *testing.T) {
			var srv *httptest.Server
			if server.handler == nil {
				srv = httptest.NewServer(http.NotFoundHandler())
				srv.Close()
			} else {
				srv = httptest.NewServer(server.handler)
				t.Cleanup(srv.Close)
			}
			log := &callLog{}
			cfg := wechat.Config{BaseURL: srv.URL, Observer: log.observe}

			var errs []error
			for _, token := range tokens {
				client := newClient(t, cfg, wechat.StaticToken(token))
				_, err := client.ListTags(t.Context())
				errs = append(errs, err, client.TagFollowers(t.Context(), firstTagID, twoFans))
			}
			stable, err := wechat.NewTokenSource(cfg, wechat.StableTokenEndpoint, testAppID, testSecret)
			must(t, err)
			_, err = newClient(t, cfg, stable).CreateTag(t.Context(), "广东")
			errs = append(errs, err)

			secrets := []string{testSecret}
			for _, token := range tokens {
				secrets = append(secrets, token, url.QueryEscape(token))
			}
			for _, err := range errs {
				if err == nil {
					t.Fatal("a call succeeded against a broken server")
				}
				requireNoSecret(t, "error", fmt.Sprintf("%v | %+v", err, err), secrets)
			}
			for _, call := range log.all() {
				requireNoSecret(t, "observed call", fmt.Sprintf("%+v", call), secrets)
			}
		})
	}
}

func requireNoSecret(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(text, secret) {
			t.Errorf("%s carries the credential %q: %s", what, secret, text)
		}
	}
}

// The secret travels in the stable_token body, never in a URL where a proxy log or an
// error would show it.
func TestStableTokenSource_sendsTheSecretOnlyInThePOSTBody(t *testing.T) {
	type request struct{ method, uri, body string }
	sent := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sent <- request{r.Method, r.URL.RequestURI(), string(body)}
		fmt.Fprint(w, `{"access_token":"86_x","expires_in":7200}`)
	}))
	t.Cleanup(srv.Close)
	tokens, err := wechat.NewTokenSource(wechat.Config{BaseURL: srv.URL}, wechat.StableTokenEndpoint, testAppID, testSecret)
	must(t, err)
	_, err = tokens.Token(t.Context())
	must(t, err)

	got := <-sent
	if got.method != http.MethodPost || got.uri != "/cgi-bin/stable_token" || !strings.Contains(got.body, testSecret) {
		t.Errorf("sent %+v, want a POST to /cgi-bin/stable_token with the secret in the body", got)
	}
}

func TestClient_transportErrorsKeepTheirCause(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	client := newClient(t, wechat.Config{BaseURL: srv.URL}, wechat.StaticToken(stubToken))
	_, err := client.ListTags(t.Context())

	var transportErr *wechat.TransportError
	if !errors.As(err, &transportErr) || transportErr.Unwrap() == nil {
		t.Fatalf("got %v (%T), want a TransportError with a cause", err, err)
	}
	// The cause is below the *url.Error, whose text is the URL with the token.
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		t.Errorf("the chain holds a *url.Error: %v", urlErr)
	}
}

// A redirect would carry the access token in its query to wherever it points, so the
// client never follows one: WeChat itself never redirects.
func TestClient_redirectsAreNotFollowed(t *testing.T) {
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere++ }))
	t.Cleanup(other.Close)
	client, _ := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	})

	_, err := client.ListTags(t.Context())
	var httpErr *wechat.HTTPError
	if !errors.As(err, &httpErr) || httpErr.StatusCode != http.StatusFound {
		t.Fatalf("got %v, want an HTTPError with status 302", err)
	}
	if elsewhere != 0 {
		t.Errorf("the redirect was followed: the other server got %d requests", elsewhere)
	}
}
