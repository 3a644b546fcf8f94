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
