package wechat

import (
	"context"
	"sync"
)

// tagDeletions are the tags/delete calls of this client, for a create that meets the
// account's tag limit (45056): Terraform orders no wechat_tag it destroys before one it
// creates, so the creation of a plan that replaces a tag at the limit may come first. It
// waits for the deletions in flight and tries again once they free a place.
type tagDeletions struct {
	mu       sync.Mutex
	inFlight int
	// ended counts the deletions ended, applied or not.
	ended uint64
	// idle is closed, and replaced, whenever the last deletion in flight ends.
	idle chan struct{}
}

// start records a deletion sent; the function it returns records its end.
func (d *tagDeletions) start() (end func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inFlight++
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.inFlight--
		d.ended++
		if d.inFlight == 0 && d.idle != nil {
			close(d.idle)
			d.idle = nil
		}
	}
}

// mark is how many deletions had ended, for endedSince.
func (d *tagDeletions) mark() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ended
}

// waitForRoom waits until no deletion is in flight, and reports whether one ended since
// mark or was in flight: only then may a create refused for the limit find room now.
func (d *tagDeletions) waitForRoom(ctx context.Context, mark uint64) bool {
	d.mu.Lock()
	if d.inFlight == 0 {
		freed := d.ended != mark
		d.mu.Unlock()
		return freed
	}
	if d.idle == nil {
		d.idle = make(chan struct{})
	}
	idle := d.idle
	d.mu.Unlock()
	select {
	case <-idle:
		return true
	case <-ctx.Done():
		return false
	}
}
