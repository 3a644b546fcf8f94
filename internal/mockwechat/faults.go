package mockwechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"
)

// Faults describes failures the mock injects into API calls (every path
// under /cgi-bin/, the token endpoints included, unless Paths says
// otherwise), so that a client can be shown to converge against a busy,
// flaky service. The zero value injects nothing. The package doc's
// "# Faults" section tells the details.
type Faults struct {
	Seed int64 `json:"seed"`

	// The rates are fractions 0..1 of the calls Paths selects. They are
	// exclusive kinds decided once per call, so they may sum to 1 at most.
	ErrcodeRate float64 `json:"errcode_rate"` // HTTP 200 with an errcode from Errcodes, nothing applied
	// Errcodes are drawn uniformly for ErrcodeRate; empty means
	// {-1, 45011, 45169}. 45169 (concurrent tagging) is answered only by
	// batchtagging and batchuntagging: drawn for another path, it becomes -1.
	Errcodes         []int   `json:"errcodes"`
	HTTP500Rate      float64 `json:"http500_rate"`       // HTTP 500 with an HTML body, nothing applied
	DropRate         float64 `json:"drop_rate"`          // connection closed before the call is applied
	LostResponseRate float64 `json:"lost_response_rate"` // the call IS applied, then the connection is closed unanswered

	// Paths restricts the rates to these API paths; empty means all.
	Paths []string `json:"paths"`

	// Latency delays every API call, Paths or not, before it reaches the
	// account. In JSON it is a Go duration string such as "50ms". It is the
	// last field because MarshalJSON writes it after the others.
	Latency time.Duration `json:"latency"`
}

// FaultStats counts the faults injected since the last SetFaults.
type FaultStats struct {
	Errcodes      map[int]int `json:"errcodes"` // by the errcode answered
	HTTP500       int         `json:"http500"`
	Drops         int         `json:"drops"`
	LostResponses int         `json:"lost_responses"`
	// Calls is how many calls had a fault decided for them, the
	// denominator of the rates: those Paths selects while a rate is above
	// 0, except those a FailNext error took.
	Calls int `json:"calls"`
}

var defaultFaultErrcodes = []int{-1, 45011, 45169}

const concurrentTaggingErrcode = 45169

// concurrentTaggingPaths are the endpoints that tag followers, the only
// ones where the real service reports concurrent tagging.
var concurrentTaggingPaths = map[string]bool{
	"/cgi-bin/tags/members/batchtagging":   true,
	"/cgi-bin/tags/members/batchuntagging": true,
}

// rateTolerance absorbs float rounding, so that rates such as 0.1, 0.2
// and 0.7 may sum to 1.
const rateTolerance = 1e-9

type faultRate struct {
	name string // in JSON
	rate float64
	kind faultKind
}

// rates lists the rates in the order decide tries them: changing it would
// change what a seed gives.
func (f Faults) rates() []faultRate {
	return []faultRate{
		{"errcode_rate", f.ErrcodeRate, errcodeFault},
		{"http500_rate", f.HTTP500Rate, http500Fault},
		{"drop_rate", f.DropRate, dropFault},
		{"lost_response_rate", f.LostResponseRate, lostResponseFault},
	}
}

func (f Faults) validate() error {
	sum := 0.0
	for _, r := range f.rates() {
		if !(r.rate >= 0 && r.rate <= 1) { // also refuses NaN
			return fmt.Errorf("%s %v is not between 0 and 1", r.name, r.rate)
		}
		sum += r.rate
	}
	if sum > 1+rateTolerance {
		return fmt.Errorf("the rates sum to %v: they are exclusive kinds of one call, so they must sum to 1 at most", sum)
	}
	if slices.Contains(f.Errcodes, 0) {
		return errors.New("errcodes: errcode 0 is success")
	}
	if f.Latency < 0 {
		return fmt.Errorf("latency %v is negative", f.Latency)
	}
	for _, path := range f.Paths {
		if _, ok := endpoints[path]; !ok {
			return fmt.Errorf("paths: %q is not an API path", path)
		}
	}
	return nil
}

// MarshalJSON writes Latency as a Go duration string.
func (f Faults) MarshalJSON() ([]byte, error) {
	type plain Faults
	return json.Marshal(struct {
		plain
		Latency string `json:"latency"`
	}{plain(f), f.Latency.String()})
}

// UnmarshalJSON reads Latency as a Go duration string and refuses unknown
// fields, so that a misspelt rate is not silently read as 0.
func (f *Faults) UnmarshalJSON(data []byte) error {
	type plain Faults
	wire := struct {
		*plain
		Latency json.RawMessage `json:"latency"`
	}{plain: (*plain)(f)}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wire); err != nil {
		return err
	}
	if len(wire.Latency) == 0 || string(wire.Latency) == "null" {
		return nil
	}
	var text string
	err := json.Unmarshal(wire.Latency, &text)
	if err == nil {
		f.Latency, err = time.ParseDuration(text)
	}
	if err != nil {
		return fmt.Errorf(`latency %s: want a Go duration string such as "50ms"`, wire.Latency)
	}
	return nil
}

type faultKind int

const (
	noFault faultKind = iota
	errcodeFault
	http500Fault
	dropFault
	lostResponseFault
)

type fault struct {
	kind    faultKind
	errcode int
}

// injector holds the faults in force; the Server's lock guards it, the
// generator included, which is what makes the decisions both race-free
// and reproducible.
type injector struct {
	faults Faults
	paths  map[string]bool
	rng    *rand.Rand
	stats  FaultStats
}

func newInjector(f Faults) injector {
	f.Errcodes, f.Paths = slices.Clone(f.Errcodes), slices.Clone(f.Paths)
	paths := map[string]bool{}
	for _, p := range f.Paths {
		paths[p] = true
	}
	return injector{
		faults: f,
		paths:  paths,
		rng:    rand.New(rand.NewPCG(uint64(f.Seed), 0x9e3779b97f4a7c15)), //nolint:gosec // a negative seed is as good a seed as any
		stats:  FaultStats{Errcodes: map[int]int{}},
	}
}

// decide draws the fault of one call to path.
func (in *injector) decide(path string) fault {
	rates := in.faults.rates()
	if !slices.ContainsFunc(rates, func(r faultRate) bool { return r.rate > 0 }) || len(in.paths) > 0 && !in.paths[path] {
		return fault{}
	}
	in.stats.Calls++
	u := in.rng.Float64()
	for _, r := range rates {
		if u < r.rate {
			return in.record(r.kind, path)
		}
		u -= r.rate
	}
	return fault{}
}

func (in *injector) record(kind faultKind, path string) fault {
	switch kind {
	case errcodeFault:
		codes := in.faults.Errcodes
		if len(codes) == 0 {
			codes = defaultFaultErrcodes
		}
		code := codes[in.rng.IntN(len(codes))]
		if code == concurrentTaggingErrcode && !concurrentTaggingPaths[path] {
			code = -1
		}
		in.stats.Errcodes[code]++
		return fault{errcodeFault, code}
	case http500Fault:
		in.stats.HTTP500++
	case dropFault:
		in.stats.Drops++
	case lostResponseFault:
		in.stats.LostResponses++
	}
	return fault{kind: kind}
}

// SetFaults replaces the faults in force, restarts the generator from
// f.Seed and resets FaultStats. It refuses a rate outside 0..1, rates
// summing over 1, errcode 0, a negative latency and unknown paths.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("mockwechat: SetFaults: %w", err)
	}
	in := newInjector(f)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injector = in
	return nil
}

// FaultStats returns the faults injected since the last SetFaults.
func (s *Server) FaultStats() FaultStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.injector.statsCopy()
}

// statsCopy is the stats a caller may read after the lock is released.
func (in *injector) statsCopy() FaultStats {
	stats := in.stats
	stats.Errcodes = maps.Clone(stats.Errcodes)
	return stats
}

// decide is the fault of one call: a FailNext error first, else a draw.
// The caller holds s.mu.
func (s *Server) decide(path string) fault {
	if q := s.queued[path]; len(q) > 0 {
		s.queued[path] = q[1:]
		return fault{errcodeFault, q[0]}
	}
	return s.injector.decide(path)
}

// delay waits the latency in force; false if the client gave up first.
func (s *Server) delay(r *http.Request) bool {
	s.mu.Lock()
	latency := s.injector.faults.Latency
	s.mu.Unlock()
	if latency <= 0 {
		return true
	}
	timer := time.NewTimer(latency)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// gatewayErrorPage is what the proxy in front of a real service answers
// when the service behind it fails: HTML, not the API's JSON.
const gatewayErrorPage = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n" +
	"<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n</body>\r\n</html>\r\n"

func writeGatewayError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte(gatewayErrorPage))
}

// hangUp closes the connection without a byte of answer, as a dead peer or
// a cut network would. Where the connection cannot be hijacked (HTTP/2, a
// ResponseRecorder) it panics with http.ErrAbortHandler, which net/http
// turns into a closed connection or a reset stream.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close() // a hang-up has no one to report a failed close to
}
