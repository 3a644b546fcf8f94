package wechat

import (
	"context"
	"sync"
)

// MaxTagsPerAccount is how many tags an account can hold. Whether WeChat counts its own
// system tags towards it is not documented: AccountRoom tells both counts.
const MaxTagsPerAccount = 100

// systemTagCount is how many system tags every account has (0, 1 and 2).
const systemTagCount = 3

// AccountRoom is how many tags the account would hold once every tag this process plans
// to create exists.
type AccountRoom struct {
	// Existing are the user tags tags/get lists; Planned the names planned so far that
	// no existing tag has.
	Existing, Planned int
}

// Exceeded reports whether WeChat refuses the plan's creations whichever way it counts.
func (r AccountRoom) Exceeded() bool { return r.Existing+r.Planned > MaxTagsPerAccount }

// MayBeExceeded reports whether WeChat refuses them if it counts its system tags too.
func (r AccountRoom) MayBeExceeded() bool {
	return r.Existing+r.Planned+systemTagCount > MaxTagsPerAccount
}

// plannedTags are the names of the tags one Terraform command plans to create: each
// wechat_tag is planned alone, and only their sum tells whether the account has room.
type plannedTags struct {
	mu    sync.Mutex
	names map[string]bool
}

// PlanTag records that the command plans to create a tag named name, and returns the room
// the account would then have, from the shared tags/get. A name planned twice, or one
// already created by this process, counts once.
func (c *Client) PlanTag(ctx context.Context, name string) (AccountRoom, error) {
	tags, err := c.CachedTags(ctx)
	if err != nil {
		return AccountRoom{}, err
	}
	existing := make(map[string]bool, len(tags))
	var room AccountRoom
	for _, t := range tags {
		existing[t.Name] = true
		if !IsSystemTag(t.ID) {
			room.Existing++
		}
	}
	c.planned.mu.Lock()
	defer c.planned.mu.Unlock()
	if c.planned.names == nil {
		c.planned.names = map[string]bool{}
	}
	c.planned.names[name] = true
	for n := range c.planned.names {
		if !existing[n] {
			room.Planned++
		}
	}
	return room, nil
}
