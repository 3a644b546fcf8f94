package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// Limits of the tag API, documented by WeChat.
const (
	// MaxTagNameBytes is the longest tag name in bytes of UTF-8: a Chinese character takes
	// three, so a name of ten Chinese characters is the longest of its kind.
	MaxTagNameBytes = 30
	// MaxTagsPerFollower is how many tags one follower can carry.
	MaxTagsPerFollower = 20
	// MaxOpenIDsPerBatch is how many openids one batchtagging or batchuntagging call takes.
	MaxOpenIDsPerBatch = 50
	// MaxTagsPerAccount is how many tags an account can hold. Whether WeChat counts its own
	// system tags towards it is not documented.
	MaxTagsPerAccount = 100
)

// System tags exist on every account and cannot be renamed or deleted.
const (
	TagUngrouped int64 = 0
	TagBlacklist int64 = 1
	TagStarred   int64 = 2
)

// IsSystemTag reports whether id is one of the tags WeChat itself defines.
func IsSystemTag(id int64) bool { return id >= TagUngrouped && id <= TagStarred }

// Errors returned before any request is sent, for input the service would refuse.
var (
	ErrEmptyTagName   = errors.New("tag name is empty")
	ErrTagNameTooLong = fmt.Errorf("tag name is longer than %d bytes of UTF-8", MaxTagNameBytes)
	ErrEmptyOpenID    = errors.New("openid is empty")
	ErrNoOpenIDs      = errors.New("no openids given")
	ErrTooManyOpenIDs = fmt.Errorf("more than %d openids in one call", MaxOpenIDsPerBatch)
)

func tagIndex(tags []Tag, id int64) (int, bool) {
	i := slices.IndexFunc(tags, func(t Tag) bool { return t.ID == id })
	return i, i >= 0
}

// Tag is a tag of the account.
type Tag struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Count is how many followers carry the tag; tags/get reports it, tags/create does not.
	Count int `json:"count"`
}

func validTagName(name string) error {
	switch {
	case name == "":
		return ErrEmptyTagName
	case len(name) > MaxTagNameBytes:
		return fmt.Errorf("%w: %q is %d bytes", ErrTagNameTooLong, name, len(name))
	}
	return nil
}

type tagRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"`
}

// CreateTag creates a tag named name (tags/create).
//
// tags/create cannot be sent twice safely, so when its response is lost the tag is looked
// up by name first: found, it is the tag the lost call created, and it is returned; not
// found, the create is sent again. Tag names are unique within an account, so this never
// makes a duplicate. The creates sent again and the retries of busy answers share one
// retry budget: at most MaxRetries+1 creates in all.
func (c *Client) CreateTag(ctx context.Context, name string) (Tag, error) {
	if err := validTagName(name); err != nil {
		return Tag{}, err
	}
	mark := c.deletions.mark()
	tag, adopted, err := c.createTag(ctx, name)
	// A deletion of this client in flight, or ended since, may have made room.
	for HasCode(err, CodeTagLimitReached) && c.deletions.waitForRoom(ctx, mark) {
		mark = c.deletions.mark()
		tag, adopted, err = c.createTag(ctx, name)
	}
	c.tags.settle(err, func(tags []Tag) []Tag {
		if _, known := tagIndex(tags, tag.ID); known { // adopted after a lost response
			return tags
		}
		return append(tags, tag)
	})
	if err == nil {
		c.memberships.tagCreated(tag.ID, adopted)
	}
	return tag, err
}

// createTag sends tags/create until it succeeds or fails for good. adopted says that the
// tag was found by name after a lost response, rather than answered by the create.
func (c *Client) createTag(ctx context.Context, name string) (tag Tag, adopted bool, err error) {
	retries := 0
	for resent := false; ; resent = true {
		tag, err := c.createTagOnce(ctx, name, &retries)
		if err == nil {
			c.fresh.add(tag.ID)
			return tag, false, nil
		}
		// A 45157 after a lost create may be that create's own tag.
		if !IsAmbiguous(err) && !(resent && HasCode(err, CodeIllegalTagName)) {
			return Tag{}, false, err
		}
		existing, found, listErr := c.findTagNamed(ctx, name)
		if listErr != nil {
			return Tag{}, false, fmt.Errorf("%w; looking the tag up after the lost response failed too: %w", err, listErr)
		}
		if found {
			c.fresh.add(existing.ID)
			return existing, true, nil
		}
		if !IsAmbiguous(err) || retries >= c.raw.retry.MaxRetries {
			return Tag{}, false, err
		}
		retries++
		if waitErr := sleep(ctx, c.raw.retry.backoff(retries)); waitErr != nil {
			return Tag{}, false, fmt.Errorf("%w (stopped retrying: %w)", err, waitErr)
		}
	}
}

// createTagOnce sends tags/create, with the retries of busy answers it needs counted in
// retries.
func (c *Client) createTagOnce(ctx context.Context, name string, retries *int) (Tag, error) {
	request := struct {
		Tag struct {
			Name string `json:"name"`
		} `json:"tag"`
	}{}
	request.Tag.Name = name
	var response struct {
		Tag *Tag `json:"tag"`
	}
	err := c.call(ctx, apiRequest{method: http.MethodPost, endpoint: "tags/create", body: request, response: &response, retries: retries})
	if err != nil {
		return Tag{}, err
	}
	if response.Tag == nil {
		return Tag{}, errors.New("WeChat tags/create: the response carries no tag")
	}
	return *response.Tag, nil
}

func (c *Client) findTagNamed(ctx context.Context, name string) (Tag, bool, error) {
	tags, err := c.ListTags(ctx)
	if err != nil {
		return Tag{}, false, err
	}
	for _, t := range tags {
		if t.Name == name {
			return t, true, nil
		}
	}
	return Tag{}, false, nil
}

// ListTags returns every tag of the account, system tag 2 (starred) included (tags/get).
func (c *Client) ListTags(ctx context.Context) ([]Tag, error) {
	var response struct {
		Tags *[]Tag `json:"tags"`
	}
	if err := c.call(ctx, apiRequest{method: http.MethodGet, endpoint: "tags/get", response: &response, resendable: true}); err != nil {
		return nil, err
	}
	// A body without "tags" is not an empty account: every account has the starred tag,
	// and reading an unexpected body as "no tags" would plan to create every tag again.
	if response.Tags == nil {
		return nil, errors.New("WeChat tags/get: the response carries no tag list")
	}
	return *response.Tags, nil
}

// RenameTag gives the tag id a new name (tags/update).
func (c *Client) RenameTag(ctx context.Context, id int64, name string) error {
	if err := validTagName(name); err != nil {
		return err
	}
	request := struct {
		Tag tagRef `json:"tag"`
	}{Tag: tagRef{ID: id, Name: name}}
	var since uint64
	// Renaming a tag to the name it already has succeeds, so a lost rename is resent.
	err := c.call(ctx, apiRequest{method: http.MethodPost, endpoint: "tags/update", body: request, resendable: true, tagID: id, beforeSend: c.markTagReads(&since)})
	c.tags.settle(err, func(tags []Tag) []Tag {
		if i, ok := tagIndex(tags, id); ok {
			tags[i].Name = name
		}
		return tags
	})
	return c.confirmInvalidTagID(ctx, id, since, err)
}

// DeleteTag deletes the tag id, which also removes it from every follower (tags/delete).
// A tag the account does not have is an error matching ErrTagNotFound.
func (c *Client) DeleteTag(ctx context.Context, id int64) error {
	request := struct {
		Tag tagRef `json:"tag"`
	}{Tag: tagRef{ID: id}}
	var since uint64
	defer c.deletions.start()()
	// A lost delete is resent: if the first one was applied, the second fails with 45159,
	// which tags/get then confirms.
	err := c.call(ctx, apiRequest{method: http.MethodPost, endpoint: "tags/delete", body: request, resendable: true, tagID: id, beforeSend: c.markTagReads(&since)})
	c.tags.settle(err, func(tags []Tag) []Tag {
		if i, ok := tagIndex(tags, id); ok {
			tags = slices.Delete(tags, i, i+1)
		}
		return tags
	})
	err = c.confirmInvalidTagID(ctx, id, since, err)
	c.memberships.tagDeleted(id, err)
	return err
}

// markTagReads records in since, before each attempt of a call is sent, how many tags/get
// calls had started: only one started after the attempt that was answered 45159 may
// judge that answer. A mark taken before the first attempt is too early: a tags/get
// started between the first attempt and a resend may predate what the first attempt did,
// such as a delete whose response was lost.
func (c *Client) markTagReads(since *uint64) func() {
	return func() { *since = c.tags.readsStarted() }
}

// confirmInvalidTagID judges err, the answer of a call naming tag id whose last attempt
// was sent after the tag cache had started since reads. The service answers 45159 both for a tag that is gone
// and, briefly, for one just created, so a 45159 that outlived the retries given to the
// tags this client created is checked against a tags/get sent after the call: a tag it
// does not list is gone, and the error says so (IsTagNotFound); a tag it lists is not,
// and the 45159 is returned unchanged. The system tags 0 and 1 exist on every account
// but are never listed, so their 45159 is returned unchanged too.
func (c *Client) confirmInvalidTagID(ctx context.Context, id int64, since uint64, err error) error {
	var apiErr *APIError
	if !IsInvalidTagID(err) || !errors.As(err, &apiErr) || IsSystemTag(id) || ctx.Err() != nil {
		return err
	}
	tags, listErr := c.readSince(ctx, since)
	if listErr != nil {
		return fmt.Errorf("%w; confirming with tags/get whether tag %d exists failed: %w", err, id, listErr)
	}
	if _, listed := tagIndex(tags, id); listed {
		return err
	}
	return &tagNotFoundError{id: id, apiErr: apiErr, err: err}
}

// The batch endpoints, below /cgi-bin/. Each has a daily quota of its own, which
// getApiQuota reports under its path (QuotaPath).
const (
	EndpointBatchTagging   = "tags/members/batchtagging"
	EndpointBatchUntagging = "tags/members/batchuntagging"
)

// QuotaPath is the path under which getApiQuota reports the daily quota of an endpoint,
// such as "/cgi-bin/tags/members/batchtagging".
func QuotaPath(endpoint string) string { return "/cgi-bin/" + endpoint }

// BatchCalls is how many batchtagging or batchuntagging calls change n followers: one per
// MaxOpenIDsPerBatch, each served call using one of the endpoint's daily quota.
func BatchCalls(n int) int { return (n + MaxOpenIDsPerBatch - 1) / MaxOpenIDsPerBatch }

// TagFollowers gives the tag to every follower listed, at most MaxOpenIDsPerBatch, in
// one tags/members/batchtagging call, which WeChat applies whole or not at all. A tag the
// account does not have is an error matching ErrTagNotFound.
func (c *Client) TagFollowers(ctx context.Context, tagID int64, openids []string) error {
	return c.batchMembers(ctx, EndpointBatchTagging, tagID, openids, true)
}

// UntagFollowers takes the tag from every follower listed, at most MaxOpenIDsPerBatch, in
// one tags/members/batchuntagging call. A tag the account does not have is an error
// matching ErrTagNotFound.
func (c *Client) UntagFollowers(ctx context.Context, tagID int64, openids []string) error {
	return c.batchMembers(ctx, EndpointBatchUntagging, tagID, openids, false)
}

func (c *Client) batchMembers(ctx context.Context, endpoint string, tagID int64, openids []string, add bool) error {
	switch {
	case len(openids) == 0:
		return ErrNoOpenIDs
	case len(openids) > MaxOpenIDsPerBatch:
		return fmt.Errorf("%w: %d openids", ErrTooManyOpenIDs, len(openids))
	case slices.Contains(openids, ""):
		return ErrEmptyOpenID
	}
	request := struct {
		OpenIDList []string `json:"openid_list"`
		TagID      int64    `json:"tagid"`
	}{OpenIDList: openids, TagID: tagID}
	var since uint64
	// Not resent after a lost response: the caller re-reads the membership and sends
	// what is still missing.
	err := c.call(ctx, apiRequest{method: http.MethodPost, endpoint: endpoint, body: request, tagID: tagID, beforeSend: c.markTagReads(&since)})
	c.memberships.membersChanged(tagID, openids, add, err)
	// The tag's follower count, which tags/get reports, changes; its id and name do not.
	// A 45159 is confirmed by a tags/get started after the call, which refills the cache.
	c.tags.countsChanged()
	if err == nil {
		return nil
	}
	return c.confirmInvalidTagID(ctx, tagID, since, err)
}

// FollowerTags returns the ids of the tags the follower carries: from tags/getidlist,
// or from the snapshot of every tag's followers when Config.MembershipReads makes one
// cheaper (memberships.go). A follower read once is not read again by the same client
// unless a write of uncertain outcome named it.
func (c *Client) FollowerTags(ctx context.Context, openid string) ([]int64, error) {
	if openid == "" {
		return nil, ErrEmptyOpenID
	}
	if tags, ok := recall(c.memberships, &c.memberships.answers, openid); ok {
		return tags, nil
	}
	snap, err := c.memberships.snapshotFor(ctx, c)
	if err != nil {
		return nil, err
	}
	if snap != nil {
		tags, known, err := snap.followerTags(ctx, openid)
		if err != nil || known {
			return tags, err
		}
	}
	since := c.memberships.writesEnded()
	tags, err := c.followerTagIDs(ctx, openid)
	if err == nil {
		keep(c.memberships, &c.memberships.answers, openid, tags, since)
	}
	return tags, err
}

// followerTagIDs is tags/getidlist.
func (c *Client) followerTagIDs(ctx context.Context, openid string) ([]int64, error) {
	request := struct {
		OpenID string `json:"openid"`
	}{OpenID: openid}
	var response struct {
		TagIDList *[]int64 `json:"tagid_list"`
	}
	if err := c.call(ctx, apiRequest{method: http.MethodPost, endpoint: "tags/getidlist", body: request, response: &response, resendable: true}); err != nil {
		return nil, err
	}
	if response.TagIDList == nil {
		return nil, errors.New("WeChat tags/getidlist: the response carries no tagid_list")
	}
	return *response.TagIDList, nil
}

// TagMembers returns the openid of every follower that carries the tag, in the order
// user/tag/get lists them. A tag the account does not have is an error matching
// ErrTagNotFound. A tag read once is not read again by the same client unless a write of
// uncertain outcome named it; the client's writes keep what it read true.
func (c *Client) TagMembers(ctx context.Context, tagID int64) ([]string, error) {
	if members, ok := recall(c.memberships, &c.memberships.members, tagID); ok {
		return members, nil
	}
	since := c.memberships.writesEnded()
	var members []string
	if _, err := c.tagMemberPages(ctx, tagID, func(page []string) { members = append(members, page...) }); err != nil {
		return nil, err
	}
	keep(c.memberships, &c.memberships.members, tagID, members, since)
	return members, nil
}

// tagMemberPages reads user/tag/get page after page to the end, handing visit each page's
// openids, and returns how many calls it made.
func (c *Client) tagMemberPages(ctx context.Context, tagID int64, visit func(page []string)) (calls int, err error) {
	next := ""
	for {
		request := struct {
			TagID      int64  `json:"tagid"`
			NextOpenID string `json:"next_openid"`
		}{TagID: tagID, NextOpenID: next}
		var page struct {
			Count *int `json:"count"`
			Data  struct {
				OpenID []string `json:"openid"`
			} `json:"data"`
			NextOpenID string `json:"next_openid"`
		}
		var since uint64
		calls++
		err := c.call(ctx, apiRequest{method: http.MethodPost, endpoint: "user/tag/get", body: request, response: &page, resendable: true, tagID: tagID, beforeSend: c.markTagReads(&since)})
		if err != nil {
			return calls, c.confirmInvalidTagID(ctx, tagID, since, err)
		}
		// A tag without followers answers {"count":0}. A body without count is no page of
		// the listing, and taking it for the end would read the tag's followers as gone,
		// as a tags/get without tags would read the account's tags as gone.
		if page.Count == nil {
			return calls, errors.New("WeChat user/tag/get: the response carries no count")
		}
		// next_openid names the last openid returned even on the last page, so only an
		// empty page ends the listing.
		if *page.Count == 0 || len(page.Data.OpenID) == 0 {
			return calls, nil
		}
		visit(page.Data.OpenID)
		if page.NextOpenID == "" || page.NextOpenID == next {
			return calls, nil
		}
		next = page.NextOpenID
	}
}
