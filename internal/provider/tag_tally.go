package provider

import (
	"sync"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// tagTally is what one Terraform command plans for the account's tags. Terraform plans
// each wechat_tag alone, and only the sum of their creations and destructions tells
// whether the account has room for the tags the plan creates.
type tagTally struct {
	mu sync.Mutex
	// creates are the names of the tags planned for creation, destroys the ids of those
	// planned for destruction.
	creates  map[string]bool
	destroys map[int64]bool
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
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.destroys == nil {
		t.destroys = map[int64]bool{}
	}
	t.destroys[id] = true
}

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
