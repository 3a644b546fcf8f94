package membership

import (
	"cmp"
	"fmt"
)

// Op is the kind of change a call makes.
type Op int

const (
	OpAdd Op = iota
	OpRemove
)

func (op Op) String() string {
	if op == OpAdd {
		return "add"
	}
	return "remove"
}

// BatchError is a call of the Store that failed, with the members it carried: a service
// that refuses a batch for one of its members may not say which.
type BatchError[M cmp.Ordered] struct {
	Op    Op
	Batch []M
	Err   error
}

func (e *BatchError[M]) Error() string { return e.Err.Error() }
func (e *BatchError[M]) Unwrap() error { return e.Err }

// LimitError is a change refused before any call, because the key would have more
// members than the service allows.
type LimitError struct {
	// Held is how many members the key has, After how many it would have.
	Held, After, Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%d members now, %d after this change, more than the %d allowed", e.Held, e.After, e.Limit)
}

// StalledError is a reconciliation given up after rounds in a row that each ended in an
// ambiguous failure and brought the membership no closer to the goal.
type StalledError[M cmp.Ordered] struct {
	Rounds int
	// Last is the last ambiguous failure.
	Last *BatchError[M]
}

func (e *StalledError[M]) Error() string {
	return fmt.Sprintf("%v; %d rounds of changes in a row made no progress, so the provider stopped", e.Last, e.Rounds)
}

func (e *StalledError[M]) Unwrap() error { return e.Last }
