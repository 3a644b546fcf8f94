// Command wechat-mock serves the mock WeChat Official Account tag API of
// internal/mockwechat over HTTP, for the demo and for acceptance tests run
// from a Makefile. Point the provider's base URL at the address it prints
// and use the app id and secret it was started with.
//
// Usage:
//
//	wechat-mock [-addr 127.0.0.1:8099] [-app-id ID] [-app-secret SECRET]
//	            [-followers OPENID,...] [-generate-followers N [-seed S]]
//	            [-tags NAME,...] [-ready-file PATH] [-allow-remote]
//	            [-page-size N] [-foreign-openids OPENID,...]
//	            [-daily-quota PATH=N,...]
//	wechat-mock -wait-ready-file PATH
//
// -addr 127.0.0.1:0 picks a free port; with -ready-file the base URL (e.g.
// http://127.0.0.1:41234, no newline) is written to PATH once the mock
// listens, and removed when it stops. A script that started the mock in the
// background waits for it with wechat-mock -wait-ready-file PATH, which
// prints the base URL once the mock listens, or fails after 15 s; it waits
// on past a file left by a killed mock. -tags creates tags in order, with
// ids 100, 101, ... Followers are those of -followers, then
// -generate-followers deterministic openids.
//
// The admin API under /_mock/ (no token needed) inspects and changes the
// account: GET /_mock/state, /_mock/calls, /_mock/followers,
// /_mock/tokens (every access token issued), /_mock/faults (the faults in
// force and their counts), /_mock/quotas (every API path's daily quota);
// POST /_mock/quotas (a path's daily_limit), /_mock/tags/create, /_mock/tags/rename,
// /_mock/tags/delete, /_mock/users/tag, /_mock/users/untag,
// /_mock/followers, /_mock/calls/reset, /_mock/tokens/issue,
// /_mock/tokens/expire, /_mock/fail, /_mock/faults (errcodes, HTTP 500s,
// dropped connections, lost responses and latency, seeded); DELETE
// /_mock/faults. See the mockwechat package for the request bodies.
//
// The mock refuses a non-loopback -addr unless -allow-remote is given: it
// has no security of its own, and GET /_mock/tokens hands out working
// tokens. It logs one line per request to stderr (method, path, HTTP
// status, errcode, duration), never the query string, which carries access
// tokens and the app secret; the status is "closed" for a connection the
// mock hung up on (an injected drop or lost response) and "none" for a
// request whose client gave up during the injected latency. SIGINT or
// SIGTERM stops it gracefully.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat/readyfile"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "wechat-mock:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wechat-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: wechat-mock [flags]\n\n"+
			"Serves a mock of the WeChat Official Account user tag API on a loopback address.\n"+
			"Inspect and change the account through the admin API under /_mock/ (e.g. GET /_mock/state).\n\n")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:8099", "listen `address`; port 0 picks a free port")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback -addr (the mock accepts any caller)")
	appID := fs.String("app-id", "wx1234567890abcdef", "AppID the token endpoints accept")
	appSecret := fs.String("app-secret", "5f3c8a1e9b7d4c2f6a0e1b8d7c3f9a24", "AppSecret the token endpoints accept")
	followers := fs.String("followers", "", "comma-separated `openids` of the account's followers")
	generate := fs.Int("generate-followers", 0, "add `N` generated openids to the followers")
	seed := fs.Int64("seed", 1, "seed for -generate-followers; the same seed gives the same openids")
	tags := fs.String("tags", "", "comma-separated `names` of tags that exist at start (ids 100, 101, ...)")
	readyFile := fs.String("ready-file", "", "once listening, write the base URL to `path` (removed on exit)")
	awaitFile := fs.String("wait-ready-file", "", "serve nothing: wait until the mock started with -ready-file `path` listens, print its base URL and exit")
	pageSize := fs.Int("page-size", 10000, "openids per page of user/tag/get (`N`), to test paging with few followers")
	foreign := fs.String("foreign-openids", "", "comma-separated `openids` of another AppID, which tag calls refuse with 49003")
	countSystemTags := fs.Bool("count-system-tags", false, "count the 3 system tags towards the account's 100, so that it holds 97 tags of its own (WeChat does not document which)")
	quotas := fs.String("daily-quota", "", "comma-separated daily call limits by API path, such as `/cgi-bin/tags/getidlist=500`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; see -h", fs.Args())
	}
	if *awaitFile != "" {
		if fs.NFlag() > 1 {
			return errors.New("-wait-ready-file waits for a mock started separately, and takes no other flag")
		}
		return awaitMock(ctx, *awaitFile, stdout)
	}
	if *generate < 0 {
		return fmt.Errorf("-generate-followers %d: want 0 or more", *generate)
	}
	if *pageSize < 1 {
		return fmt.Errorf("-page-size %d: want 1 or more", *pageSize)
	}
	dailyQuotas, err := parseQuotas(*quotas)
	if err != nil {
		return err
	}
	if !*allowRemote {
		if err := requireLoopback(*addr); err != nil {
			return err
		}
	}

	srv := mockwechat.New(mockwechat.Config{
		AppID:           *appID,
		AppSecret:       *appSecret,
		Followers:       append(splitList(*followers), mockwechat.GenerateOpenIDs(*generate, *seed)...),
		ForeignOpenIDs:  splitList(*foreign),
		PageSize:        *pageSize,
		DailyQuotas:     dailyQuotas,
		CountSystemTags: *countSystemTags,
	})
	for _, name := range splitList(*tags) {
		if _, err := srv.CreateTag(name); err != nil {
			return fmt.Errorf("-tags: %w", err)
		}
	}

	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if *readyFile != "" {
		if err := readyfile.Write(*readyFile, base); err != nil {
			_ = ln.Close() // the ready file's error is the one to report
			return err
		}
		// Best effort: a ready file left behind names a port nothing listens on any more.
		defer func() { _ = os.Remove(*readyFile) }()
	}
	printBanner(stdout, base, *appID, *appSecret, srv.Followers())

	hs := &http.Server{
		Handler:           logRequests(srv, log.New(stderr, "wechat-mock: ", log.LstdFlags)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdownCtx)
}

// printBanner says what a demo needs: where the mock is, the credentials it accepts, as the
// provider's environment variables, and the first followers' openids.
func printBanner(w io.Writer, base, appID, appSecret string, followers []string) {
	const shown = 5
	named := followers[:min(len(followers), shown)]
	more := ""
	if len(followers) > shown {
		more = fmt.Sprintf(" and %d more (GET %s/_mock/followers)", len(followers)-shown, base)
	}
	fmt.Fprintf(w, "wechat-mock listening on %s\n"+
		"  export WECHAT_BASE_URL=%s WECHAT_APP_ID=%s WECHAT_APP_SECRET=%s\n"+
		"  followers: %d: %s%s\n"+
		"  admin:     %s/_mock/state\n",
		base, base, appID, appSecret, len(followers), strings.Join(named, ", "), more, base)
}

// parseQuotas reads -daily-quota: PATH=N pairs, comma-separated.
func parseQuotas(s string) (map[string]int, error) {
	quotas := map[string]int{}
	for _, item := range splitList(s) {
		path, limit, found := strings.Cut(item, "=")
		n, err := strconv.Atoi(strings.TrimSpace(limit))
		if !found || err != nil || n < 0 {
			return nil, fmt.Errorf("-daily-quota %q: want PATH=N with N a count of calls, such as /cgi-bin/tags/getidlist=500", item)
		}
		if !mockwechat.IsAPIPath(strings.TrimSpace(path)) {
			return nil, fmt.Errorf("-daily-quota %q: %q is not an API path the mock serves", item, path)
		}
		quotas[strings.TrimSpace(path)] = n
	}
	return quotas, nil
}

func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-addr %q is not a loopback address; the mock accepts any caller, so pass -allow-remote to serve it there anyway", addr)
}

func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// awaitTimeout bounds the wait of -wait-ready-file, so that a script whose mock failed
// to start stops instead of waiting for ever; a mock listens within milliseconds.
const awaitTimeout = 15 * time.Second

func awaitMock(ctx context.Context, path string, stdout io.Writer) error {
	ctx, cancel := context.WithTimeoutCause(ctx, awaitTimeout,
		fmt.Errorf("nothing listened within %v: did the mock fail to start? (see its output)", awaitTimeout))
	defer cancel()
	base, err := readyfile.Await(ctx, path)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, base)
	return err
}

// logRequests logs each request's method, path, status, errcode and
// duration. r.URL.Path only: the query carries tokens and secrets.
func logRequests(next http.Handler, logger *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		logger.Printf("%s %s status=%s errcode=%s %v",
			r.Method, r.URL.Path, rec.outcome(), rec.errcode(), time.Since(began).Round(time.Microsecond))
	})
}

// statusRecorder keeps the status and the start of the body, where the
// mock's error bodies put their errcode.
type statusRecorder struct {
	http.ResponseWriter
	status   int // 0 until written
	head     []byte
	hijacked bool
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if room := 32 - len(r.head); room > 0 {
		r.head = append(r.head, b[:min(room, len(b))]...)
	}
	return r.ResponseWriter.Write(b)
}

// Hijack passes the connection on, so that the mock can hang up on the
// client, and notes it for the log.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	r.hijacked = err == nil
	return conn, rw, err
}

func (r *statusRecorder) outcome() string {
	switch {
	case r.hijacked:
		return "closed"
	case r.status == 0:
		return "none"
	}
	return strconv.Itoa(r.status)
}

// errcode is the body's errcode; "0" for other 200 answers, since success
// bodies may omit it, and "-" for non-API failures.
func (r *statusRecorder) errcode() string {
	if rest, ok := strings.CutPrefix(string(r.head), `{"errcode":`); ok {
		if code, _, _ := strings.Cut(rest, ","); isInt(code) {
			return code
		}
	}
	if r.status == http.StatusOK {
		return "0"
	}
	return "-"
}

func isInt(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
