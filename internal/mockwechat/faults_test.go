package mockwechat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/mockwechat"
)

const (
	batchTaggingPath = "/cgi-bin/tags/members/batchtagging"
	getIDListPath    = "/cgi-bin/tags/getidlist"
	listTagsPath     = "/cgi-bin/tags/get"
)

// Outcomes of a call as a client sees them.
const (
	answered = "answered"
	http500  = "HTTP 500"
	noAnswer = "no answer"
)

func errcodeOutcome(code int) string { return fmt.Sprint("errcode ", code) }

// faultFixture is a served mock with one follower and tag 100, so that a
// batchtagging call shows in the state whether it was applied.
func faultFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	openid := mockwechat.GenerateOpenIDs(1, 1)[0]
	f := newFixture(t, mockwechat.Config{Followers: []string{openid}, Tags: []string{"VIP"}})
	f.serve()
	return f, openid
}

func (f *fixture) setFaults(faults mockwechat.Faults) {
	f.t.Helper()
	if err := f.srv.SetFaults(faults); err != nil {
		f.t.Fatal(err)
	}
}

// try calls a tag endpoint with the fixture's token and classifies what
// the client saw.
func (f *fixture) try(path string, body any) string {
	f.t.Helper()
	method, target := tagRequest(path, f.token)
	a, err := f.send(method, target, body)
	return f.outcome(a, err)
}

func (f *fixture) outcome(a answer, err error) string {
	f.t.Helper()
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		return noAnswer
	case err != nil:
		return "unexpected error: " + err.Error()
	case a.status == http.StatusInternalServerError:
		if a.contentType != "text/html" || json.Valid(a.body) {
			f.t.Errorf("HTTP 500 with Content-Type %q and body %q, want a gateway's HTML page", a.contentType, a.body)
		}
		return http500
	}
	r := f.parse("API call", a)
	if r.ErrCode == 0 {
		return answered
	}
	wantErr(f.t, r, r.ErrCode)
	return errcodeOutcome(r.ErrCode)
}

// outcomesOf is what clients should have seen of the calls stats counts,
// given that every one had a fault decided and no other error.
func outcomesOf(stats mockwechat.FaultStats) map[string]int {
	outcomes := map[string]int{
		http500:  stats.HTTP500,
		noAnswer: stats.Drops + stats.LostResponses,
		answered: stats.Calls - stats.HTTP500 - stats.Drops - stats.LostResponses,
	}
	for code, n := range stats.Errcodes {
		outcomes[errcodeOutcome(code)] = n
		outcomes[answered] -= n
	}
	maps.DeleteFunc(outcomes, func(_ string, n int) bool { return n == 0 })
	return outcomes
}

func tally(outcomes []string) map[string]int {
	counts := map[string]int{}
	for _, o := range outcomes {
		counts[o]++
	}
	return counts
}

func TestFaults_eachKindAtRateOneDoesWhatItSays(t *testing.T) {
	for _, tc := range []struct {
		name    string
		faults  mockwechat.Faults
		want    string
		applied bool
	}{
		{"errcode", mockwechat.Faults{ErrcodeRate: 1, Errcodes: []int{45011}}, errcodeOutcome(45011), false},
		{"HTTP 500", mockwechat.Faults{HTTP500Rate: 1}, http500, false},
		{"drop", mockwechat.Faults{DropRate: 1}, noAnswer, false},
		{"lost response", mockwechat.Faults{LostResponseRate: 1}, noAnswer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, openid := faultFixture(t)
			tc.faults.Paths = []string{batchTaggingPath}
			f.setFaults(tc.faults)

			if got := f.try(batchTaggingPath, batchBody(100, openid)); got != tc.want {
				t.Errorf("client saw %q, want %q", got, tc.want)
			}
			if tags, _ := f.srv.UserTags(openid); (len(tags) == 1) != tc.applied {
				t.Errorf("follower's tags %v; want the call applied: %v", tags, tc.applied)
			}
			stats := f.srv.FaultStats()
			if want := map[string]int{tc.want: 1}; !maps.Equal(outcomesOf(stats), want) {
				t.Errorf("FaultStats %+v, want it to count the one %q", stats, tc.want)
			}
			if n := f.srv.CallCount(batchTaggingPath); n != 1 {
				t.Errorf("Calls counted %d, want 1", n)
			}
		})
	}
}

func TestFaults_pathsRestrictFaultsToTheListedPaths(t *testing.T) {
	f, openid := faultFixture(t)
	f.setFaults(mockwechat.Faults{DropRate: 1, Paths: []string{listTagsPath}})
	if got := f.try(listTagsPath, nil); got != noAnswer {
		t.Errorf("tags/get: client saw %q, want it dropped", got)
	}
	if got := f.try(getIDListPath, map[string]string{"openid": openid}); got != answered {
		t.Errorf("getidlist, not in Paths: client saw %q, want an answer", got)
	}
	if stats := f.srv.FaultStats(); stats.Drops < 1 || stats.Calls != stats.Drops {
		t.Errorf("FaultStats %+v, want only tags/get calls, all dropped", stats)
	}
}

func TestFaults_failNextTakesPrecedenceAndDrawsNothing(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	f.setFaults(mockwechat.Faults{ErrcodeRate: 1, Errcodes: []int{45011}})
	if err := f.srv.FailNext(listTagsPath, 48001); err != nil {
		t.Fatal(err)
	}
	wantErr(t, f.api(listTagsPath, nil), 48001)
	wantErr(t, f.api(listTagsPath, nil), 45011)
	stats := f.srv.FaultStats()
	if stats.Calls != 1 || !maps.Equal(stats.Errcodes, map[int]int{45011: 1}) {
		t.Errorf("FaultStats %+v, want one call decided, answered 45011", stats)
	}
}

func TestFaults_defaultErrcodesAnd45169OnlyOnBatchPaths(t *testing.T) {
	openid := mockwechat.GenerateOpenIDs(1, 1)[0]
	f := newFixture(t, mockwechat.Config{Followers: []string{openid}, Tags: []string{"VIP"}})
	f.setFaults(mockwechat.Faults{Seed: 3, ErrcodeRate: 1})
	seen := func(path string, body any) map[int]bool {
		codes := map[int]bool{}
		for range 200 {
			r := f.api(path, body)
			wantErr(t, r, r.ErrCode)
			codes[r.ErrCode] = true
		}
		return codes
	}
	if got, want := seen(batchTaggingPath, batchBody(100, openid)), map[int]bool{-1: true, 45011: true, 45169: true}; !maps.Equal(got, want) {
		t.Errorf("batchtagging answered %v, want each of %v", got, want)
	}
	if got, want := seen(listTagsPath, nil), map[int]bool{-1: true, 45011: true}; !maps.Equal(got, want) {
		t.Errorf("tags/get answered %v, want each of %v (45169 turned into -1)", got, want)
	}
	if tags, _ := f.srv.UserTags(openid); len(tags) != 0 {
		t.Errorf("errcode faults applied a batchtagging: tags %v", tags)
	}
}

func TestFaults_mixedRatesLandNearTheirRatesAndStatsMatchClients(t *testing.T) {
	f, openid := faultFixture(t)
	faults := mockwechat.Faults{Seed: 42, ErrcodeRate: 0.12, HTTP500Rate: 0.08, DropRate: 0.05, LostResponseRate: 0.05}
	f.setFaults(faults)

	const callers, callsEach = 8, 250
	outcomes := make([][]string, callers)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for range callsEach {
				outcomes[c] = append(outcomes[c], f.try(getIDListPath, map[string]string{"openid": openid}))
			}
		})
	}
	wg.Wait()

	observed := tally(slices.Concat(outcomes...))
	stats := f.srv.FaultStats()
	if want := outcomesOf(stats); !maps.Equal(observed, want) {
		t.Errorf("clients saw %v, FaultStats %+v says %v", observed, stats, want)
	}
	const n = callers * callsEach
	if stats.Calls != n || f.srv.CallCount(getIDListPath) != n {
		t.Errorf("FaultStats.Calls %d, Calls %d, want %d", stats.Calls, f.srv.CallCount(getIDListPath), n)
	}
	errcodes := 0
	for _, k := range stats.Errcodes {
		errcodes += k
	}
	for _, kind := range []struct {
		name  string
		count int
		rate  float64
	}{
		{"errcode", errcodes, faults.ErrcodeRate},
		{"HTTP 500", stats.HTTP500, faults.HTTP500Rate},
		{"drop", stats.Drops, faults.DropRate},
		{"lost response", stats.LostResponses, faults.LostResponseRate},
	} {
		if share := float64(kind.count) / n; math.Abs(share-kind.rate) > 0.025 {
			t.Errorf("%s: %.3f of calls, want %.2f ± 0.025", kind.name, share, kind.rate)
		}
	}
}

func TestFaults_theSameSeedGivesTheSameDecisions(t *testing.T) {
	f, openid := faultFixture(t)
	decisions := func(seed int64) []string {
		f.setFaults(mockwechat.Faults{Seed: seed, ErrcodeRate: 0.2, HTTP500Rate: 0.1, DropRate: 0.1, LostResponseRate: 0.1})
		var outcomes []string
		for range 100 {
			outcomes = append(outcomes, f.try(getIDListPath, map[string]string{"openid": openid}))
		}
		return outcomes
	}
	first := decisions(7)
	if again := decisions(7); !slices.Equal(first, again) {
		t.Errorf("seed 7 gave different decisions:\n%v\n%v", first, again)
	}
	if other := decisions(8); slices.Equal(first, other) {
		t.Errorf("seeds 7 and 8 gave the same decisions: %v", first)
	}
}

func TestFaults_latencyDelaysEveryPathAndEndsWithTheRequest(t *testing.T) {
	f := newFixture(t, mockwechat.Config{Tags: []string{"VIP"}})
	const latency = 50 * time.Millisecond
	f.setFaults(mockwechat.Faults{Latency: latency, Paths: []string{batchTaggingPath}})
	began := time.Now()
	f.ok(listTagsPath, nil)
	if took := time.Since(began); took < latency {
		t.Errorf("tags/get, not in Paths, took %v, want at least the latency %v", took, latency)
	}

	f.setFaults(mockwechat.Faults{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	method, target := tagRequest("/cgi-bin/tags/delete", f.token)
	req := httptest.NewRequestWithContext(ctx, method, target, strings.NewReader(`{"tag":{"id":100}}`))
	began = time.Now()
	f.srv.ServeHTTP(httptest.NewRecorder(), req)
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("a cancelled request took %v to return", took)
	}
	if _, ok := f.srv.TagByID(100); !ok || f.srv.CallCount("/cgi-bin/tags/delete") != 0 {
		t.Error("a request cancelled during the latency reached the account")
	}
}

func TestSetFaults_refusesBadRatesAndKeepsTheFaultsInForce(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	f.setFaults(mockwechat.Faults{ErrcodeRate: 1, Errcodes: []int{-1}})
	for _, bad := range []mockwechat.Faults{
		{ErrcodeRate: -0.1},
		{DropRate: 1.5},
		{HTTP500Rate: math.NaN()},
		{ErrcodeRate: 0.5, HTTP500Rate: 0.3, LostResponseRate: 0.3},
		{ErrcodeRate: 0.1, Errcodes: []int{0}},
		{Latency: -time.Second},
		{DropRate: 0.1, Paths: []string{"/cgi-bin/user/get"}},
	} {
		if err := f.srv.SetFaults(bad); err == nil {
			t.Errorf("SetFaults(%+v) accepted", bad)
		}
	}
	wantErr(t, f.api(listTagsPath, nil), -1)
	if err := f.srv.SetFaults(mockwechat.Faults{ErrcodeRate: 0.1, HTTP500Rate: 0.2, DropRate: 0.7}); err != nil {
		t.Errorf("rates summing to 1 but for rounding refused: %v", err)
	}
}

func TestFaults_withoutAHijackableConnectionAbortTheHandler(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	f.setFaults(mockwechat.Faults{DropRate: 1})
	defer func() {
		r := recover()
		if err, _ := r.(error); !errors.Is(err, http.ErrAbortHandler) {
			t.Errorf("recovered %v, want http.ErrAbortHandler", r)
		}
	}()
	f.api(listTagsPath, nil)
}

func TestAdmin_faultsRoundTripAndNeverApplyToAdminPaths(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	f.serve()
	posted := `{"seed":9,"errcode_rate":1,"errcodes":[45011],"http500_rate":0,"drop_rate":0,` +
		`"lost_response_rate":0,"paths":["/cgi-bin/tags/get"],"latency":"1ms"}`
	f.admin("POST", "faults", posted, http.StatusOK)
	wantErr(t, f.api(listTagsPath, nil), 45011)
	want := `{"faults":` + posted + `,"stats":{"errcodes":{"45011":1},"http500":0,"drops":0,"lost_responses":0,"calls":1}}`
	if r := f.admin("GET", "faults", nil, http.StatusOK); r.raw != want {
		t.Errorf("GET faults:\n got %s\nwant %s", r.raw, want)
	}

	for body, complaint := range map[string]string{
		`{"errcode_rate":0.6,"drop_rate":0.6}`: "sum to 1.2",
		`{"drop_rate":-1}`:                     "drop_rate -1 is not between 0 and 1",
		`{"error_rate":0.5}`:                   `unknown field "error_rate"`,
		`{"latency":50}`:                       `latency 50: want a Go duration string such as "50ms"`,
		`{"paths":["/cgi-bin/nope"]}`:          `"/cgi-bin/nope" is not an API path`,
	} {
		if r := f.admin("POST", "faults", body, http.StatusBadRequest); !strings.Contains(r.Error, complaint) {
			t.Errorf("POST faults %s: %s, want an error saying %q", body, r.raw, complaint)
		}
	}

	f.admin("POST", "faults", `{"drop_rate":1}`, http.StatusOK)
	f.admin("GET", "state", nil, http.StatusOK)
	cleared := `{"faults":{"seed":0,"errcode_rate":0,"errcodes":null,"http500_rate":0,"drop_rate":0,` +
		`"lost_response_rate":0,"paths":null,"latency":"0s"},"stats":{"errcodes":{},"http500":0,"drops":0,"lost_responses":0,"calls":0}}`
	for _, reset := range []struct{ method, body string }{{"DELETE", ""}, {"POST", "{}"}} {
		f.admin("POST", "faults", `{"drop_rate":1}`, http.StatusOK)
		f.admin(reset.method, "faults", reset.body, http.StatusOK)
		if r := f.admin("GET", "faults", nil, http.StatusOK); r.raw != cleared {
			t.Errorf("after %s faults %s: %s", reset.method, reset.body, r.raw)
		}
		f.ok(listTagsPath, nil)
	}
}

func TestIssuedTokens_listsTokensOfEveryKindEvenWhenTheAnswerWasLost(t *testing.T) {
	f := newFixture(t, mockwechat.Config{})
	f.serve()
	want := []string{f.token, f.newToken(tokenPath, false).AccessToken, f.newToken(stablePath, false).AccessToken}
	f.setFaults(mockwechat.Faults{LostResponseRate: 1, Paths: []string{stablePath}})
	if got := f.outcome(f.send(http.MethodPost, stablePath, map[string]any{
		"grant_type": "client_credential", "appid": appID, "secret": appSecret, "force_refresh": true,
	})); got != noAnswer {
		t.Fatalf("stable_token force_refresh: client saw %q, want no answer", got)
	}
	issued := f.srv.IssuedTokens()
	if len(issued) != 4 || !slices.Equal(issued[:3], want) || !tokenPattern.MatchString(issued[3]) {
		t.Errorf("IssuedTokens() = %v,\nwant %v then the token whose answer was lost", issued, want)
	}
	var listed struct{ Issued []string }
	if err := json.Unmarshal([]byte(f.admin("GET", "tokens", nil, http.StatusOK).raw), &listed); err != nil || !slices.Equal(listed.Issued, issued) {
		t.Errorf("GET /_mock/tokens: %v %v, want %v", listed, err, issued)
	}
}
