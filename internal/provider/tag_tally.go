package provider

import (
	"context"
	"sync"
	"time"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// tagTally is what one Terraform command plans for the account's tags. Terraform plans
// each wechat_tag alone, and only the sum of their creations and destructions tells
// whether the account has room for the tags the plan creates.
//
// Terraform plans them in any order, and an apply plans its creations again but not its
// destructions, which it only runs: a creation past the limit is judged only once no
// wechat_tag has been read, planned or destroyed for a while (quiet), so that the
// destructions of the same command, planned or started meanwhile, count.
type tagTally struct {
	mu sync.Mutex
	// creates are the names of the tags planned for creation, destroys the ids of those
	// planned for destruction, or being destroyed.
	creates  map[string]bool
	destroys map[int64]bool
	// quiet is how long no wechat_tag may be touched before a creation past the limit is
	// judged; 0 judges it at once. lastTouched is when one last was.
	quiet       time.Duration
	lastTouched time.Time
}

// Bounds of the wait of a creation past the limit, the only one that waits.
const (
	tallyQuiet     = time.Second
	maxTallySettle = 10 * time.Second
)

// touched records that a wechat_tag was read, planned or destroyed.
func (t *tagTally) touched() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastTouched = time.Now()
}

// settle waits until no wechat_tag has been touched for t.quiet, at most maxTallySettle.
func (t *tagTally) settle(ctx context.Context) {
	if t == nil || t.quiet == 0 {
		return
	}
	deadline := time.Now().Add(maxTallySettle)
	for {
		t.mu.Lock()
		idle := time.Since(t.lastTouched)
		t.mu.Unlock()
		if idle >= t.quiet || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(t.quiet - idle):
		}
	}
}

// accountRoom is how many user tags the account has, and what the plan planned so far
// does to them.
type accountRoom struct {
	existing, creates, destroys int
}

// systemTags is how many system tags every account has (0, 1 and 2).
const systemTags = int(wechat.TagStarred - wechat.TagUngrouped + 1)

// after is how many user tags the account has once the plan is applied.
func (r accountRoom) after() int { return r.existing + r.creates - r.destroys }

// exceeded reports whether WeChat refuses the plan's creations whichever way it counts.
func (r accountRoom) exceeded() bool { return r.after() > wechat.MaxTagsPerAccount }

// mayBeExceeded reports whether WeChat refuses them if it counts its system tags too.
func (r accountRoom) mayBeExceeded() bool { return r.after()+systemTags > wechat.MaxTagsPerAccount }

// waitsForDestroys reports whether some creations fit only once the plan's destructions
// are done: the apply then orders them.
func (r accountRoom) waitsForDestroys() bool {
	return !r.exceeded() && r.existing+r.creates > wechat.MaxTagsPerAccount
}

// planCreate counts a tag named name that the plan creates, given the account's tags. A
// name planned twice, or one a tag already has, counts once.
func (t *tagTally) planCreate(tags []wechat.Tag, name string) accountRoom {
	if t == nil {
		t = &tagTally{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.creates == nil {
		t.creates = map[string]bool{}
	}
	t.creates[name] = true
	return t.room(tags)
}

// planDestroy counts the tag id, which the plan destroys.
func (t *tagTally) planDestroy(id int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.destroys == nil {
		t.destroys = map[int64]bool{}
	}
	t.destroys[id] = true
}

// room is the account's room for the tags planned so far. The caller holds t.mu.
func (t *tagTally) room(tags []wechat.Tag) accountRoom {
	var room accountRoom
	names := make(map[string]bool, len(tags))
	for _, tag := range tags {
		names[tag.Name] = true
		if wechat.IsSystemTag(tag.ID) {
			continue
		}
		room.existing++
		if t.destroys[tag.ID] {
			room.destroys++
		}
	}
	for name := range t.creates {
		if !names[name] {
			room.creates++
		}
	}
	return room
}

// judge is the room once the command's other wechat_tag resources have settled, for a
// creation that planCreate found past the limit, given the account's tags then.
func (t *tagTally) judge(ctx context.Context, tags func() ([]wechat.Tag, error)) (accountRoom, error) {
	t.settle(ctx)
	current, err := tags()
	if err != nil {
		return accountRoom{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.room(current), nil
}
