package membership

import (
	"cmp"
	"maps"
	"slices"
)

func (cfg Config) withDefaults() Config {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1
	}
	if cfg.IsAmbiguous == nil {
		cfg.IsAmbiguous = func(error) bool { return false }
	}
	if cfg.MaxRoundsWithoutProgress <= 0 {
		cfg.MaxRoundsWithoutProgress = DefaultMaxRoundsWithoutProgress
	}
	if cfg.MaxAmbiguousInARow <= 0 {
		cfg.MaxAmbiguousInARow = DefaultMaxAmbiguousInARow
	}
	return cfg
}

// Managed returns the members a resource records after a change toward goal stopped, or
// after a refresh, with the membership at held: the members of goal.Desired that are
// held, in Desired's order, then those of goal.Prior, in Prior's order, and with
// Exclusive every other member held, sorted. The next plan then shows just the changes
// still missing, and a list keeps the order the state had.
func Managed[M cmp.Ordered](goal Goal[M], held []M) []M {
	current := newSet(held)
	out := make([]M, 0, min(len(held), len(goal.Desired)+len(goal.Prior)))
	kept := make(set[M], cap(out))
	for _, list := range [][]M{goal.Desired, goal.Prior} {
		for _, m := range list {
			if current.has(m) && !kept.has(m) {
				kept[m] = struct{}{}
				out = append(out, m)
			}
		}
	}
	if goal.Exclusive {
		var rest []M
		for m := range current {
			if !kept.has(m) {
				rest = append(rest, m)
			}
		}
		slices.Sort(rest)
		out = append(out, rest...)
	}
	return out
}

// Observed returns what a refresh records of a state that managed prior: the members of
// prior still held, in prior's order, and with exclusive every other member, sorted.
// Importing is Observed(nil, held, true): every member is adopted.
func Observed[M cmp.Ordered](prior, held []M, exclusive bool) []M {
	return Managed(Goal[M]{Desired: prior, Exclusive: exclusive}, held)
}

// set holds members; memberships reach 100,000, so nothing here is quadratic.
type set[M cmp.Ordered] map[M]struct{}

func newSet[M cmp.Ordered](members []M) set[M] {
	s := make(set[M], len(members))
	for _, m := range members {
		s[m] = struct{}{}
	}
	return s
}

func (s set[M]) has(m M) bool {
	_, ok := s[m]
	return ok
}

func (s set[M]) sorted() []M { return slices.Sorted(maps.Keys(s)) }

// distinct drops repeats from list, keeping first occurrences in place.
func distinct[M cmp.Ordered](list []M) []M {
	seen := make(set[M], len(list))
	return slices.DeleteFunc(list, func(m M) bool {
		if seen.has(m) {
			return true
		}
		seen[m] = struct{}{}
		return false
	})
}
