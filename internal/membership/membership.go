// Package membership reconciles a membership: the members that should carry one key,
// such as the tags of a follower or the followers of a tag.
//
// It knows neither Terraform nor HTTP. Given what is held, what is desired, what the prior
// state managed and whether the membership is exclusive, it works out the changes, applies
// them in batches through a Store, accounts for what each call applied, and reads the
// membership again after a call whose outcome is unknown, instead of sending it again
// blindly. It gives up only after rounds that made no progress, so a large membership
// converges under faults as long as each round gets some of its changes through.
package membership

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// Store reads and changes one membership. Each Add and Remove is one call of the service,
// with at most Config.BatchSize members, that is applied whole or not at all.
type Store[M cmp.Ordered] interface {
	// Members returns every member that carries the key.
	Members(ctx context.Context) ([]M, error)
	// Add gives the key to every member of batch.
	Add(ctx context.Context, batch []M) error
	// Remove takes the key from every member of batch.
	Remove(ctx context.Context, batch []M) error
}

// Config tells the engine what the service allows and how it fails.
type Config struct {
	// BatchSize is the most members one Add or Remove takes; 1 when not set.
	BatchSize int
	// Limit is the most members the key may have, 0 for no limit. A change that would pass
	// it is refused before any call.
	Limit int
	// IsAmbiguous reports whether a failed call may have been applied: the request was sent
	// and its answer lost. Such a failure leads to a new read, not to a resend. Nil means
	// that no failure is ambiguous.
	IsAmbiguous func(error) bool
	// MaxRoundsWithoutProgress bounds the rounds of calls and reads that bring the
	// membership no closer to the goal; DefaultMaxRoundsWithoutProgress when 0.
	MaxRoundsWithoutProgress int
	// MaxAmbiguousInARow ends a round after this many ambiguous failures in a row, so that a
	// service failing every call is not sent the whole change each round;
	// DefaultMaxAmbiguousInARow when 0.
	MaxAmbiguousInARow int
}

// Defaults of Config. Under a fault rate of 30 %, of which a fifth of all calls fail
// ambiguously, four rounds in a row without progress are very unlikely; a dead service
// is given up on after 4 rounds of at most 5 calls and a read each.
const (
	DefaultMaxRoundsWithoutProgress = 4
	DefaultMaxAmbiguousInARow       = 5
)

// Goal is what the membership should become.
type Goal[M cmp.Ordered] struct {
	// Desired are the members that should carry the key, in the order the configuration
	// lists them.
	Desired []M
	// Prior are the members the prior state managed, in its order; nil for a new resource.
	Prior []M
	// Exclusive makes the key's whole membership managed: every member beyond Desired is
	// removed. Otherwise only members of Prior that Desired no longer lists are.
	Exclusive bool
}

// Removal is the goal of destroying a resource that managed the members managed: each of
// them that still carries the key loses it, and no other member is touched.
func Removal[M cmp.Ordered](managed []M) Goal[M] {
	return Goal[M]{Prior: managed}
}

// Changes are the calls a goal still needs, given what is held.
type Changes[M cmp.Ordered] struct {
	Add, Remove []M
}

// Len is the number of members the changes touch.
func (c Changes[M]) Len() int { return len(c.Add) + len(c.Remove) }

// Diff returns the changes that turn held into what goal asks: Add in the order of
// goal.Desired, Remove sorted.
func Diff[M cmp.Ordered](goal Goal[M], held []M) Changes[M] {
	return diff(goal, newSet(held), newSet(goal.Desired), newSet(goal.Prior))
}

func diff[M cmp.Ordered](goal Goal[M], held, desired, prior set[M]) Changes[M] {
	var changes Changes[M]
	for _, m := range goal.Desired {
		if !held.has(m) {
			changes.Add = append(changes.Add, m)
		}
	}
	changes.Add = distinct(changes.Add)
	for m := range held {
		if !desired.has(m) && (goal.Exclusive || prior.has(m)) {
			changes.Remove = append(changes.Remove, m)
		}
	}
	slices.Sort(changes.Remove)
	return changes
}

// CheckLimit returns the *LimitError of changes that would give a key holding held
// members more than cfg allows: what Reconcile returns before its first call, and what a
// plan can tell of a change without making it.
func CheckLimit[M cmp.Ordered](cfg Config, held int, changes Changes[M]) error {
	if after := held - len(changes.Remove) + len(changes.Add); cfg.Limit > 0 && after > cfg.Limit {
		return &LimitError{Held: held, After: after, Limit: cfg.Limit}
	}
	return nil
}

// Outcome is what a reconciliation did and what it knows of the membership afterwards.
type Outcome[M cmp.Ordered] struct {
	// Held are the members that carry the key, as far as the last read and the calls that
	// succeeded since tell.
	Held []M
	// Applied counts the members changed by calls that succeeded; Calls the Add and Remove
	// calls made, Rereads the reads after ambiguous failures, Rounds the rounds of calls.
	Applied, Calls, Rereads, Rounds int
}

// Reconcile changes the membership from held, read just before, to what goal asks. It
// removes before it adds, so that an exclusive change makes room under the limit. It
// returns an error when a call fails for good (a *BatchError naming the batch), when
// reading again fails, or when the rounds without progress are spent; Outcome.Held is
// then what the membership is known to be, from which Managed tells what to record.
func Reconcile[M cmp.Ordered](ctx context.Context, cfg Config, store Store[M], goal Goal[M], held []M) (Outcome[M], error) {
	cfg = cfg.withDefaults()
	desired, prior := newSet(goal.Desired), newSet(goal.Prior)
	current := newSet(held)
	var out Outcome[M]
	finish := func(err error) (Outcome[M], error) {
		out.Held = current.sorted()
		return out, err
	}
	changes := diff(goal, current, desired, prior)
	for stalled := 0; changes.Len() > 0; {
		if err := CheckLimit(cfg, len(current), changes); err != nil {
			return finish(err)
		}
		out.Rounds++
		lost, failed := round(ctx, cfg, store, current, changes, &out)
		if failed != nil {
			return finish(failed)
		}
		if lost == nil {
			changes = diff(goal, current, desired, prior)
			continue
		}
		members, err := store.Members(ctx)
		out.Rereads++
		if err != nil {
			return finish(fmt.Errorf("%w; reading the membership again to learn what was applied failed too: %w", lost, err))
		}
		current = newSet(members)
		next := diff(goal, current, desired, prior)
		if next.Len() < changes.Len() {
			stalled = 0
		} else if stalled++; stalled >= cfg.MaxRoundsWithoutProgress {
			return finish(&StalledError[M]{Rounds: stalled, Last: lost})
		}
		changes = next
	}
	return finish(nil)
}

// round makes the calls of changes, updating held with every call that succeeded. It
// returns the last ambiguous failure, if any, and stops at the first failure that is not
// ambiguous, or after MaxAmbiguousInARow ambiguous ones in a row.
func round[M cmp.Ordered](ctx context.Context, cfg Config, store Store[M], held set[M], changes Changes[M], out *Outcome[M]) (lost, failed *BatchError[M]) {
	steps := []struct {
		op      Op
		members []M
		call    func(context.Context, []M) error
	}{
		{OpRemove, changes.Remove, store.Remove},
		{OpAdd, changes.Add, store.Add},
	}
	inARow := 0
	for _, step := range steps {
		for batch := range slices.Chunk(step.members, cfg.BatchSize) {
			out.Calls++
			err := step.call(ctx, batch)
			if err == nil {
				inARow = 0
				out.Applied += len(batch)
				for _, m := range batch {
					if step.op == OpAdd {
						held[m] = struct{}{}
					} else {
						delete(held, m)
					}
				}
				continue
			}
			failure := &BatchError[M]{Op: step.op, Batch: slices.Clone(batch), Err: err}
			if ctx.Err() != nil || !cfg.IsAmbiguous(err) {
				return nil, failure
			}
			lost = failure
			if inARow++; inARow >= cfg.MaxAmbiguousInARow {
				return lost, nil
			}
		}
	}
	return lost, nil
}
