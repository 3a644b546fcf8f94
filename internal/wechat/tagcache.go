package wechat

import (
	"context"
	"slices"
	"sync"
)

// tagCache holds the account's tags as the last tags/get returned them, so that the reads
// of one Terraform command (a refresh of every wechat_tag, the plan-time name checks)
// cost a single call. Concurrent readers share one call in flight. A tag write of this
// client that succeeds edits the cache as the service did; one that fails, whose outcome
// is unknown, clears it. A call that was in flight during a write never fills it.
// Every caller gets a copy of the tags of its own: what one caller does with its slice
// reaches neither the cache nor the other callers.
type tagCache struct {
	mu         sync.Mutex
	tags       []Tag
	valid      bool
	generation int
	inflight   *tagFetch
}

type tagFetch struct {
	done chan struct{}
	tags []Tag
	err  error
}

// edit applies a successful write to the cached tags, when the cache holds them.
func (c *tagCache) edit(change func([]Tag) []Tag) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight = nil
	c.generation++
	if c.valid {
		c.tags = change(slices.Clone(c.tags))
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

func (c *tagCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.valid = false
	c.tags = nil
	c.inflight = nil
	c.generation++
}

// CachedTags returns the account's tags as ListTags does, from the cache when it holds
// them. Use it for reads that may share a snapshot; use ListTags where only a fresh read
// will do.
func (c *Client) CachedTags(ctx context.Context) ([]Tag, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cache := &c.tags
	cache.mu.Lock()
	if cache.valid {
		tags := slices.Clone(cache.tags)
		cache.mu.Unlock()
		return tags, nil
	}
	fetch := cache.inflight
	if fetch == nil {
		fetch = &tagFetch{done: make(chan struct{})}
		cache.inflight = fetch
		generation := cache.generation
		// The call runs on its own: a caller that gives up must not fail the others.
		go func() {
			fetch.tags, fetch.err = c.ListTags(context.WithoutCancel(ctx))
			cache.mu.Lock()
			defer cache.mu.Unlock()
			if cache.inflight == fetch {
				cache.inflight = nil
			}
			if fetch.err == nil && cache.generation == generation {
				cache.tags, cache.valid = fetch.tags, true
			}
			close(fetch.done)
		}()
	}
	cache.mu.Unlock()

	select {
	case <-fetch.done:
		return slices.Clone(fetch.tags), fetch.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
