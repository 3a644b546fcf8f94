package wechat

import "time"

// FailedFetchReuse is how long a failed token fetch answers every caller.
const FailedFetchReuse = failedFetchReuse

// SetClock makes s read the time from now, so that a test can move past the expiry of a
// token or of a remembered failure without waiting for it.
func SetClock(s *CachedTokenSource, now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// FetchWaiters is how many callers wait for the fetch in flight, 0 when none is: a test
// that holds a fetch learns from it when every caller it started has joined the fetch,
// rather than guessing with a sleep.
func FetchWaiters(s *CachedTokenSource) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight == nil {
		return 0
	}
	return s.inflight.waiters
}
