package membership

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// fault is what a fake call does instead of succeeding.
type fault int

const (
	ok      fault = iota
	refused       // answered with an error: nothing applied
	dropped       // sent, unanswered, not applied
	lost          // sent, applied, unanswered
)

var (
	errRefused = errors.New("refused")
	errNoReply = errors.New("no reply")
)

func isAmbiguous(err error) bool { return errors.Is(err, errNoReply) }

// fakeStore is a membership in memory whose calls fail as faults says, by call number
// (from 1), or by draw from rng when set.
type fakeStore struct {
	members   map[string]bool
	faults    map[int]fault
	readErr   error
	rng       *rand.Rand
	calls     int
	reads     int
	callOrder []string
}

func newFakeStore(members ...string) *fakeStore {
	s := &fakeStore{members: map[string]bool{}, faults: map[int]fault{}}
	for _, m := range members {
		s.members[m] = true
	}
	return s
}

func (s *fakeStore) Members(context.Context) ([]string, error) {
	s.reads++
	if s.readErr != nil {
		return nil, s.readErr
	}
	var out []string
	for m := range s.members {
		out = append(out, m)
	}
	// The service lists members in an order of its own.
	slices.Sort(out)
	slices.Reverse(out)
	return out, nil
}

func (s *fakeStore) Add(_ context.Context, batch []string) error { return s.change("add", batch, true) }
func (s *fakeStore) Remove(_ context.Context, batch []string) error {
	return s.change("remove", batch, false)
}

func (s *fakeStore) change(op string, batch []string, add bool) error {
	s.calls++
	s.callOrder = append(s.callOrder, fmt.Sprintf("%s%v", op, batch))
	f := s.faults[s.calls]
	if s.rng != nil {
		switch r := s.rng.Float64(); {
		case r < 0.12:
			f = dropped
		case r < 0.24:
			f = lost
		}
	}
	switch f {
	case refused:
		return errRefused
	case dropped:
		return errNoReply
	}
	for _, m := range batch {
		if add {
			s.members[m] = true
		} else {
			delete(s.members, m)
		}
	}
	if f == lost {
		return errNoReply
	}
	return nil
}

func (s *fakeStore) sorted() []string {
	var out []string
	for m := range s.members {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name        string
		goal        Goal[string]
		held        []string
		add, remove []string
	}{
		{"create leaves other members alone",
			Goal[string]{Desired: []string{"b", "a"}}, []string{"a", "x"}, []string{"b"}, nil},
		{"create exclusive removes other members",
			Goal[string]{Desired: []string{"b", "a"}, Exclusive: true}, []string{"a", "x", "w"}, []string{"b"}, []string{"w", "x"}},
		{"update removes what the prior state managed and the config dropped",
			Goal[string]{Desired: []string{"a"}, Prior: []string{"a", "p", "gone"}}, []string{"a", "p", "x"}, nil, []string{"p"}},
		{"update exclusive removes everything not desired",
			Goal[string]{Desired: []string{"a"}, Prior: []string{"a", "p"}, Exclusive: true}, []string{"p", "x"}, []string{"a"}, []string{"p", "x"}},
		{"removal takes only managed members still held",
			Removal([]string{"a", "b", "gone"}), []string{"a", "b", "x"}, nil, []string{"a", "b"}},
		{"adds keep the configuration's order and drop repeats",
			Goal[string]{Desired: []string{"c", "a", "c", "b"}}, nil, []string{"c", "a", "b"}, nil},
		{"nothing to do", Goal[string]{Desired: []string{"a"}}, []string{"a"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.goal, tt.held)
			if !slices.Equal(got.Add, tt.add) || !slices.Equal(got.Remove, tt.remove) {
				t.Errorf("Diff = add %v remove %v, want add %v remove %v", got.Add, got.Remove, tt.add, tt.remove)
			}
		})
	}
}

func TestReconcileBatchesRemovesFirst(t *testing.T) {
	store := newFakeStore("x", "y", "keep")
	goal := Goal[string]{Desired: append([]string{"keep"}, names("n", 5)...), Exclusive: true}
	out, err := Reconcile(t.Context(), Config{BatchSize: 2}, store, goal, []string{"x", "y", "keep"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"remove[x y]", "add[n000 n001]", "add[n002 n003]", "add[n004]"}
	if !slices.Equal(store.callOrder, want) {
		t.Errorf("calls = %v, want %v", store.callOrder, want)
	}
	if wantHeld := append([]string{"keep"}, names("n", 5)...); !slices.Equal(out.Held, slices.Sorted(slices.Values(wantHeld))) {
		t.Errorf("Held = %v", out.Held)
	}
	if out.Calls != 4 || out.Rereads != 0 || out.Rounds != 1 || store.reads != 0 {
		t.Errorf("outcome %+v, reads %d: want 4 calls, 1 round, no read", out, store.reads)
	}
}

func TestReconcileLimit(t *testing.T) {
	held := names("t", 19)
	t.Run("refused before any call", func(t *testing.T) {
		store := newFakeStore(held...)
		out, err := Reconcile(t.Context(), Config{Limit: 20}, store, Goal[string]{Desired: []string{"a", "b"}}, held)
		var limitErr *LimitError
		if !errors.As(err, &limitErr) || limitErr.Held != 19 || limitErr.After != 21 || limitErr.Limit != 20 {
			t.Fatalf("err = %v, want a LimitError 19 → 21 of 20", err)
		}
		if store.calls != 0 || len(out.Held) != 19 {
			t.Errorf("%d calls, Held %v: want none and the 19 held", store.calls, out.Held)
		}
	})
	t.Run("exclusive makes room first", func(t *testing.T) {
		store := newFakeStore(held...)
		desired := append(slices.Clone(held[:18]), "a", "b")
		if _, err := Reconcile(t.Context(), Config{Limit: 20}, store, Goal[string]{Desired: desired, Exclusive: true}, held); err != nil {
			t.Fatal(err)
		}
		if store.callOrder[0] != "remove[t018]" || len(store.members) != 20 {
			t.Errorf("calls %v, %d members", store.callOrder, len(store.members))
		}
	})
}

// Plan refuses exactly the changes Reconcile refuses before its first call, and finds the
// changes Reconcile then makes.
func TestPlanAgreesWithReconcile(t *testing.T) {
	held := names("t", 19)
	tests := []struct {
		name      string
		goal      Goal[string]
		wantAfter int // 0: within the limit
	}{
		{"one more fits", Goal[string]{Desired: []string{"a"}}, 0},
		{"two more do not", Goal[string]{Desired: []string{"a", "b"}}, 21},
		{"held members count once", Goal[string]{Desired: append([]string{"a"}, held...)}, 0},
		{"exclusive makes room", Goal[string]{Desired: []string{"a", "b", "c"}, Exclusive: true}, 0},
		{"dropping a managed member makes room", Goal[string]{Desired: []string{"a", "b"}, Prior: held[:1]}, 0},
		{"a prior member not held makes none", Goal[string]{Desired: []string{"a", "b"}, Prior: []string{"gone"}}, 21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Limit: 20}
			changes := Diff(tt.goal, held)
			planErr := CheckLimit(cfg, len(held), changes)
			store := newFakeStore(held...)
			_, reconcileErr := Reconcile(t.Context(), cfg, store, tt.goal, held)
			var limitErr *LimitError
			if tt.wantAfter == 0 {
				if planErr != nil || reconcileErr != nil {
					t.Fatalf("CheckLimit: %v, Reconcile: %v; want both within the limit", planErr, reconcileErr)
				}
			} else {
				if !errors.As(planErr, &limitErr) || limitErr.Held != 19 || limitErr.After != tt.wantAfter {
					t.Fatalf("CheckLimit: %v, want a LimitError 19 → %d", planErr, tt.wantAfter)
				}
				if reconcileErr == nil || reconcileErr.Error() != planErr.Error() || store.calls != 0 {
					t.Fatalf("Reconcile: %v after %d calls, want CheckLimit's error before any", reconcileErr, store.calls)
				}
			}
		})
	}
}

// A call that fails for good at any batch position stops the change there: the error
// names that batch, and Held counts exactly the batches applied before it.
func TestReconcileFailureAtEachBatch(t *testing.T) {
	remove := names("r", 4) // 2 batches
	add := names("a", 6)    // 3 batches
	for position := 1; position <= 5; position++ {
		t.Run(fmt.Sprintf("call %d", position), func(t *testing.T) {
			store := newFakeStore(remove...)
			store.faults[position] = refused
			goal := Goal[string]{Desired: add, Prior: remove}
			out, err := Reconcile(t.Context(), Config{BatchSize: 2, IsAmbiguous: isAmbiguous}, store, goal, remove)
			var batchErr *BatchError[string]
			if !errors.As(err, &batchErr) || !errors.Is(err, errRefused) {
				t.Fatalf("err = %v, want a BatchError of the refusal", err)
			}
			calls := slices.Concat(remove, add)
			if wantBatch := calls[(position-1)*2 : position*2]; !slices.Equal(batchErr.Batch, wantBatch) {
				t.Errorf("failed batch %v, want %v", batchErr.Batch, wantBatch)
			}
			if wantOp := map[bool]Op{true: OpRemove, false: OpAdd}[position <= 2]; batchErr.Op != wantOp {
				t.Errorf("op %v, want %v", batchErr.Op, wantOp)
			}
			if !slices.Equal(out.Held, store.sorted()) {
				t.Errorf("Held = %v, but the store holds %v", out.Held, store.sorted())
			}
			if store.calls != position || store.reads != 0 || out.Applied != (position-1)*2 {
				t.Errorf("%d calls and %d reads, want %d and none", store.calls, store.reads, position)
			}
			// What the resource records lets the next plan show only what is missing.
			managed := Managed(goal, out.Held)
			if next := Diff(Goal[string]{Desired: add, Prior: managed}, store.sorted()); next.Len() != len(calls)-(position-1)*2 {
				t.Errorf("after recording %v, the next change is %+v", managed, next)
			}
		})
	}
}

// A response lost after the call was applied, at any position, is neither resent nor
// taken for a failure: the other batches go on, one read finds it applied.
func TestReconcileLostResponseAtEachBatch(t *testing.T) {
	for _, kind := range []struct {
		name      string
		fault     fault
		wantCalls int
	}{
		{"lost after it was applied", lost, 5},
		{"dropped before it was applied", dropped, 6},
	} {
		for position := 1; position <= 5; position++ {
			t.Run(fmt.Sprintf("%s, call %d", kind.name, position), func(t *testing.T) {
				remove := names("r", 4)
				store := newFakeStore(slices.Concat(remove, []string{"other"})...)
				store.faults[position] = kind.fault
				goal := Goal[string]{Desired: names("a", 6), Prior: remove}
				out, err := Reconcile(t.Context(), Config{BatchSize: 2, IsAmbiguous: isAmbiguous}, store, goal, store.sorted())
				if err != nil {
					t.Fatal(err)
				}
				want := slices.Sorted(slices.Values(append(names("a", 6), "other")))
				if !slices.Equal(store.sorted(), want) || !slices.Equal(out.Held, want) {
					t.Errorf("store %v, Held %v, want %v", store.sorted(), out.Held, want)
				}
				if store.calls != kind.wantCalls || out.Calls != kind.wantCalls || out.Rereads != 1 || store.reads != 1 {
					t.Errorf("%d calls (outcome %+v), %d reads: want %d calls and 1 read", store.calls, out, store.reads, kind.wantCalls)
				}
			})
		}
	}
}

func TestReconcileGivesUpOnlyWithoutProgress(t *testing.T) {
	t.Run("a service that answers nothing", func(t *testing.T) {
		store := newFakeStore()
		for i := 1; i <= 1000; i++ {
			store.faults[i] = dropped
		}
		out, err := Reconcile(t.Context(), Config{BatchSize: 2, IsAmbiguous: isAmbiguous}, store, Goal[string]{Desired: names("a", 100)}, nil)
		var stalled *StalledError[string]
		if !errors.As(err, &stalled) || stalled.Rounds != DefaultMaxRoundsWithoutProgress || !errors.Is(err, errNoReply) {
			t.Fatalf("err = %v, want a StalledError after %d rounds", err, DefaultMaxRoundsWithoutProgress)
		}
		if want := DefaultMaxRoundsWithoutProgress * DefaultMaxAmbiguousInARow; store.calls != want || out.Rereads != DefaultMaxRoundsWithoutProgress {
			t.Errorf("%d calls, %d reads, want %d and %d: each round stops after %d ambiguous failures in a row",
				store.calls, out.Rereads, want, DefaultMaxRoundsWithoutProgress, DefaultMaxAmbiguousInARow)
		}
	})
	t.Run("every round fails somewhere but gets closer", func(t *testing.T) {
		store := newFakeStore()
		for i := 2; i <= 1000; i += 2 {
			store.faults[i] = dropped
		}
		cfg := Config{BatchSize: 1, IsAmbiguous: isAmbiguous, MaxRoundsWithoutProgress: 2}
		out, err := Reconcile(t.Context(), cfg, store, Goal[string]{Desired: names("a", 16)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if out.Rounds != 5 || len(store.members) != 16 {
			t.Errorf("outcome %+v, %d members: want 5 rounds, 16 members", out, len(store.members))
		}
	})
}

func TestReconcileRereadFails(t *testing.T) {
	store := newFakeStore()
	store.faults[2] = lost
	store.readErr = errors.New("busy")
	out, err := Reconcile(t.Context(), Config{IsAmbiguous: isAmbiguous}, store, Goal[string]{Desired: []string{"a", "b", "c"}}, nil)
	if !errors.Is(err, errNoReply) || !errors.Is(err, store.readErr) {
		t.Fatalf("err = %v, want both the lost call and the failed read", err)
	}
	// b was applied, but nothing says so: Held claims only what is known.
	if !slices.Equal(out.Held, []string{"a", "c"}) {
		t.Errorf("Held = %v, want [a c]", out.Held)
	}
}

func TestReconcileCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	store := newFakeStore()
	store.faults[1] = dropped
	cancel()
	_, err := Reconcile(ctx, Config{IsAmbiguous: isAmbiguous}, store, Goal[string]{Desired: []string{"a", "b"}}, nil)
	if !errors.Is(err, errNoReply) || store.calls != 1 || store.reads != 0 {
		t.Errorf("err = %v after %d calls and %d reads: want the first failure, no more calls", err, store.calls, store.reads)
	}
}

// Under random lost and dropped responses, every seed converges in one Reconcile and
// leaves exactly the goal: the desired members, and the other members only where the
// goal does not own them.
func TestReconcileConvergesUnderFaults(t *testing.T) {
	for seed := range uint64(20) {
		for _, exclusive := range []bool{false, true} {
			rng := rand.New(rand.NewPCG(seed, 1))
			start := names("m", 300)
			rng.Shuffle(len(start), func(i, j int) { start[i], start[j] = start[j], start[i] })
			held, desired, prior := start[:150], start[100:250], start[50:200]
			store := newFakeStore(held...)
			store.rng = rng
			goal := Goal[string]{Desired: desired, Prior: prior, Exclusive: exclusive}
			out, err := Reconcile(t.Context(), Config{BatchSize: 7, IsAmbiguous: isAmbiguous}, store, goal, held)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			if got := Diff(goal, store.sorted()); got.Len() != 0 {
				t.Errorf("seed %d exclusive %v: still to do %+v", seed, exclusive, got)
			}
			if !slices.Equal(out.Held, store.sorted()) {
				t.Errorf("seed %d: Held differs from the store", seed)
			}
			if !exclusive {
				for _, m := range held {
					if !slices.Contains(desired, m) && !slices.Contains(prior, m) && !store.members[m] {
						t.Errorf("seed %d: %s, which the goal does not own, was removed", seed, m)
					}
				}
			}
		}
	}
}

func TestManaged(t *testing.T) {
	tests := []struct {
		name string
		goal Goal[string]
		held []string
		want []string
	}{
		{"desired order, then prior", Goal[string]{Desired: []string{"c", "a"}, Prior: []string{"z", "a", "b"}}, []string{"a", "b", "c", "x"}, []string{"c", "a", "b"}},
		{"exclusive adds the rest, sorted", Goal[string]{Desired: []string{"c"}, Exclusive: true}, []string{"y", "c", "x"}, []string{"c", "x", "y"}},
		{"removal keeps the managed members still held", Removal([]string{"b", "a"}), []string{"a", "x"}, []string{"a"}},
		{"nothing held", Goal[string]{Desired: []string{"a"}}, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Managed(tt.goal, tt.held); !slices.Equal(got, tt.want) {
				t.Errorf("Managed = %v, want %v", got, tt.want)
			}
		})
	}
	if got := Observed(nil, []string{"b", "a"}, true); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Observed on import = %v, want every member, sorted", got)
	}
	if got := Observed([]string{"b", "a", "gone"}, []string{"a", "b", "x"}, false); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("Observed = %v, want the prior members still held, in prior's order", got)
	}
}

// BenchmarkDiff10000 is what every apply of a 10,000-member wechat_tag_members computes:
// the openids to tag and to untag between the members and the configuration, half of
// which differ.
func BenchmarkDiff10000(b *testing.B) {
	openids := names("oK3vT8sQpZ1mYx7RbN2cLd9W", 15000)
	held, desired := openids[:10000], openids[5000:]
	b.ReportAllocs()
	for b.Loop() {
		changes := Diff(Goal[string]{Desired: desired, Exclusive: true}, held)
		if len(changes.Add) != 5000 || len(changes.Remove) != 5000 {
			b.Fatalf("diff = %d to add, %d to remove; want 5000 each", len(changes.Add), len(changes.Remove))
		}
	}
}
