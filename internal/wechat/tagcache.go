package wechat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// tagCache holds the account's tags as the last tags/get returned them, so that the reads
// of one Terraform command (a refresh of every wechat_tag, the plan-time name checks)
// cost a single call. Concurrent readers share one call in flight. A tag write of this
// client that succeeds edits the cache as the service did; one that fails, whose outcome
// is unknown, clears it. A call in flight during a successful write may or may not see
// it: the write's edit, which is idempotent, is applied again to what the call returns.
// A call in flight during a failed write never fills the cache.
// Every caller gets a copy of the tags of its own: what one caller does with its slice
// reaches neither the cache nor the other callers.
type tagCache struct {
	mu         sync.Mutex
	tags       []Tag
	valid      bool
	generation int
	inflight   *tagFetch
	// pending are the edits of the writes that succeeded while inflight was in flight.
	pending []func([]Tag) []Tag
	// countsStale says the follower counts of tags lag this client's own membership
	// changes, which the ids and names do not: KnownTags may still use them.
	// inflightCountsStale says the same of what inflight will return.
	countsStale, inflightCountsStale bool
	// reads counts the tags/get calls started. filledBy is the one the cached tags come
	// from, and latest the last one started, which a confirmation may share even after a
	// write made it unfit to fill the cache: see readSince.
	reads    uint64
	filledBy uint64
	latest   *tagFetch
}

type tagFetch struct {
	seq     uint64
	done    chan struct{}
	tags    []Tag
	err     error
	waiters waiters
}

// edit applies a successful write to the cached tags, when the cache holds them, and to
// what the call in flight returns. Detaching that call instead made each tag created
// during an apply cost the waiting readers one more tags/get: 155 for 100 tags.
func (c *tagCache) edit(change func([]Tag) []Tag) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.valid {
		c.tags = change(slices.Clone(c.tags))
	}
	if c.inflight != nil {
		c.pending = append(c.pending, change)
	}
}

// settle records the outcome of a write: the change on success, nothing known on failure.
func (c *tagCache) settle(err error, change func([]Tag) []Tag) {
	if err != nil {
		c.invalidate()
		return
	}
	c.edit(change)
}

// countsChanged records a change of the memberships of tags: their follower counts are
// no longer known, their ids and names are.
func (c *tagCache) countsChanged() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.countsStale = c.countsStale || c.valid
	c.inflightCountsStale = c.inflightCountsStale || c.inflight != nil
}

func (c *tagCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop()
}

// drop forgets the cached tags and keeps the read in flight from filling the cache. The
// caller holds c.mu.
func (c *tagCache) drop() {
	c.valid = false
	c.tags = nil
	c.inflight, c.pending = nil, nil
	c.countsStale, c.inflightCountsStale = false, false
	c.generation++
}

// peek returns the cached tags, their follower counts possibly lagging this client's own
// membership changes, without reading any: ok is false when the cache holds none.
func (c *tagCache) peek() (tags []Tag, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.valid {
		return nil, false
	}
	return slices.Clone(c.tags), true
}

// readsStarted is the count of tags/get calls started so far, for readSince.
func (c *tagCache) readsStarted() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// CachedTags returns the account's tags as ListTags does, from the cache when it holds
// them. Use it for reads that may share a snapshot; use ListTags where only a fresh read
// will do.
func (c *Client) CachedTags(ctx context.Context) ([]Tag, error) {
	return c.cachedTags(ctx, true)
}

// KnownTags is CachedTags for readers of ids and names alone: the follower counts may
// lag the client's own membership changes. Checking the tag ids of each wechat_user_tags
// an apply changes costs then one tags/get in all, not one after each change.
func (c *Client) KnownTags(ctx context.Context) ([]Tag, error) {
	return c.cachedTags(ctx, false)
}

func (c *Client) cachedTags(ctx context.Context, exactCounts bool) ([]Tag, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cache := &c.tags
	cache.mu.Lock()
	if cache.valid && !(exactCounts && cache.countsStale) {
		tags := slices.Clone(cache.tags)
		cache.mu.Unlock()
		return tags, nil
	}
	fetch := cache.inflight
	if fetch == nil {
		fetch = c.startTagFetch(ctx)
	}
	cache.mu.Unlock()
	tags, err := waitForTags(ctx, fetch)
	if abandoned(ctx, err) {
		return c.cachedTags(ctx, exactCounts)
	}
	return tags, err
}

// abandoned reports whether err is that of a shared call every other caller left, which
// the caller of ctx, still waiting, may send again.
func abandoned(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) && ctx.Err() == nil
}

// readSince returns the account's tags as a tags/get started after the first since reads
// saw them: from the cache when that call filled it, else from the latest call when it
// started late enough, else from a new call. The answer of a call naming a tag is judged
// this way: a snapshot older than the call says nothing of its answer, and calls judged
// at the same time share one tags/get.
func (c *Client) readSince(ctx context.Context, since uint64) ([]Tag, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cache := &c.tags
	cache.mu.Lock()
	if cache.valid && cache.filledBy > since {
		tags := slices.Clone(cache.tags)
		cache.mu.Unlock()
		return tags, nil
	}
	fetch := cache.latest
	if fetch == nil || fetch.seq <= since {
		// What the cache holds, or is reading, is older than the answer being judged,
		// which may say that it is out of date.
		cache.drop()
		fetch = c.startTagFetch(ctx)
	}
	cache.mu.Unlock()
	tags, err := waitForTags(ctx, fetch)
	if abandoned(ctx, err) {
		return c.readSince(ctx, since)
	}
	return tags, err
}

// startTagFetch starts a tags/get that fills the cache unless a write comes first. The
// caller holds c.tags.mu.
func (c *Client) startTagFetch(ctx context.Context) *tagFetch {
	cache := &c.tags
	cache.reads++
	fetch := &tagFetch{seq: cache.reads, done: make(chan struct{})}
	cache.inflight, cache.latest = fetch, fetch
	generation := cache.generation
	// The call runs on its own: a caller that gives up must not fail the others, and it
	// stops when all have.
	fetchCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	fetch.waiters.cancel = cancel
	go func() {
		defer cancel()
		fetch.tags, fetch.err = c.ListTags(fetchCtx)
		cache.mu.Lock()
		defer cache.mu.Unlock()
		countsStale := false
		if cache.inflight == fetch {
			cache.inflight = nil
			if fetch.err == nil {
				for _, change := range cache.pending {
					fetch.tags = change(fetch.tags)
				}
			}
			cache.pending, countsStale, cache.inflightCountsStale = nil, cache.inflightCountsStale, false
		}
		if fetch.err == nil && cache.generation == generation {
			cache.tags, cache.valid, cache.filledBy = slices.Clone(fetch.tags), true, fetch.seq
			cache.countsStale = countsStale
		}
		close(fetch.done)
	}()
	return fetch
}

func waitForTags(ctx context.Context, fetch *tagFetch) ([]Tag, error) {
	if err := fetch.waiters.wait(ctx, fetch.done); err != nil {
		return nil, err
	}
	return slices.Clone(fetch.tags), fetch.err
}

// waiters counts the callers waiting for a call they share, and cancels the call when
// the last of them gives up before it ends: after Ctrl-C, nothing goes on calling WeChat.
type waiters struct {
	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
}

// wait waits for done, or for ctx to end, which it returns.
func (w *waiters) wait(ctx context.Context, done <-chan struct{}) error {
	w.mu.Lock()
	w.n++
	w.mu.Unlock()
	select {
	case <-done:
		w.leave(false)
		return nil
	case <-ctx.Done():
		w.leave(true)
		return ctx.Err()
	}
}

func (w *waiters) leave(early bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Cancelling a call that has ended does nothing.
	if w.n--; early && w.n == 0 {
		w.cancel()
	}
}

// LookupTag returns the tag id from the account's tags as CachedTags has them. When that
// snapshot, the answer of a successful tags/get, does not list the tag, the error matches
// ErrTagNotFound: the proof that the tag is gone.
func (c *Client) LookupTag(ctx context.Context, id int64) (Tag, error) {
	tags, err := c.CachedTags(ctx)
	if err != nil {
		return Tag{}, err
	}
	if i, ok := tagIndex(tags, id); ok {
		return tags[i], nil
	}
	return Tag{}, fmt.Errorf("tag %d: %w", id, ErrTagNotFound)
}
