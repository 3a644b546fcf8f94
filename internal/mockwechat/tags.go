package mockwechat

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	starredTagID       = 2
	firstUserTagID     = 100
	maxTagNameBytes    = 30
	maxTagsPerUser     = 20
	maxOpenIDsPerBatch = 50
	maxFansToDelete    = 100000
)

var systemTagNames = map[int64]string{0: "未分组", 1: "黑名单", starredTagID: "星标组"}

type follower struct {
	openid string
	index  int     // position in Server.order
	tags   []int64 // in the order they were applied
}

type tagRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// The methods below, down to the API handlers, are the account's rules,
// shared by the API and the out-of-band methods. The caller holds s.mu.

func (s *Server) addFollower(openid string) {
	if _, ok := s.followers[openid]; ok || openid == "" {
		return
	}
	f := &follower{openid: openid, index: len(s.order)}
	s.followers[openid] = f
	s.order = append(s.order, f)
}

func (s *Server) follower(openid string) (*follower, error) {
	if f, ok := s.followers[openid]; ok {
		return f, nil
	}
	if s.foreign[openid] {
		return nil, apiError(49003)
	}
	return nil, apiError(40003)
}

func (s *Server) checkTagName(name string, self int64) error {
	switch {
	case strings.TrimSpace(name) == "" || !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return apiError(45157)
	case len(name) > maxTagNameBytes:
		return apiError(45158)
	}
	for id, sysName := range systemTagNames {
		if name == sysName && id != self {
			return apiError(45157)
		}
	}
	for _, t := range s.tags {
		if t.Name == name && t.ID != self {
			return apiError(45157)
		}
	}
	return nil
}

func (s *Server) createTag(name string) (*Tag, error) {
	if err := s.checkTagName(name, -1); err != nil {
		return nil, err
	}
	if len(s.tags)-1 >= s.userTagLimit() { // minus system tag 2
		return nil, apiError(45056)
	}
	t := &Tag{ID: s.nextTagID, Name: name}
	s.nextTagID++
	s.tags[t.ID] = t
	return t, nil
}

// userTagLimit is how many tags the account may create.
func (s *Server) userTagLimit() int {
	if s.cfg.CountSystemTags {
		return s.cfg.MaxTags - 3
	}
	return s.cfg.MaxTags
}

// editableTag finds a tag that tags/update and tags/delete may change.
func (s *Server) editableTag(id int64) (*Tag, error) {
	if _, ok := systemTagNames[id]; ok {
		return nil, apiError(45058)
	}
	if t, ok := s.tags[id]; ok {
		return t, nil
	}
	return nil, apiError(45159)
}

// memberTag finds a tag followers may be given: a user tag or tag 2.
func (s *Server) memberTag(id int64) (*Tag, error) {
	if t, ok := s.tags[id]; ok {
		return t, nil
	}
	return nil, apiError(45159)
}

func (s *Server) renameTag(id int64, name string) error {
	t, err := s.editableTag(id)
	if err != nil {
		return err
	}
	if err := s.checkTagName(name, id); err != nil {
		return err
	}
	t.Name = name
	return nil
}

func (s *Server) deleteTag(id int64) error {
	t, err := s.editableTag(id)
	if err != nil {
		return err
	}
	if t.Count > maxFansToDelete {
		return apiError(45057)
	}
	for _, f := range s.order {
		f.tags = slices.DeleteFunc(f.tags, func(tid int64) bool { return tid == id })
	}
	delete(s.tags, id)
	return nil
}

// setMembership tags (add) or untags the followers named, after checking the
// whole request, so that a refused request changes nothing.
func (s *Server) setMembership(tagID int64, openids []string, add bool) error {
	t, err := s.memberTag(tagID)
	if err != nil {
		return err
	}
	fs := make([]*follower, len(openids))
	for i, openid := range openids {
		if fs[i], err = s.follower(openid); err != nil {
			return err
		}
	}
	for _, f := range fs {
		if add && len(f.tags) >= maxTagsPerUser && !slices.Contains(f.tags, tagID) {
			return apiError(45059)
		}
	}
	for _, f := range fs {
		i := slices.Index(f.tags, tagID)
		switch {
		case add && i < 0:
			f.tags = append(f.tags, tagID)
			t.Count++
		case !add && i >= 0:
			f.tags = slices.Delete(f.tags, i, i+1)
			t.Count--
		}
	}
	return nil
}

// tagFans returns the page of tagID's fans that follows the follower named
// next ("" for the first page).
func (s *Server) tagFans(tagID int64, next string) ([]string, error) {
	t, err := s.memberTag(tagID)
	if err != nil {
		return nil, err
	}
	start := 0
	if next != "" {
		f, err := s.follower(next)
		if err != nil {
			return nil, err
		}
		start = f.index + 1
	}
	var page []string
	for _, f := range s.order[start:] {
		if t.Count == len(page) || len(page) == s.cfg.PageSize {
			break
		}
		if slices.Contains(f.tags, tagID) {
			page = append(page, f.openid)
		}
	}
	return page, nil
}

func (s *Server) tagList() []Tag {
	list := make([]Tag, 0, len(s.tags))
	for _, id := range slices.Sorted(maps.Keys(s.tags)) {
		list = append(list, *s.tags[id])
	}
	return list
}

// API handlers.

// tagFields is the "tag" object of tags/create, tags/update and tags/delete. A missing
// name reads as the empty name (45157) and a missing id as an invalid one (45159), not as
// tag 0, which would be 45058 "can't modify sys tag" for a client that never named a
// system tag.
type tagFields struct {
	id    int64
	hasID bool
	name  string
}

func (c *call) tagFields() (tagFields, error) {
	body, err := c.object()
	if err != nil {
		return tagFields{}, err
	}
	var tag object
	if _, err := body.decode(fields{"tag": &tag}); err != nil {
		return tagFields{}, err
	}
	var t tagFields
	present, err := tag.decode(fields{"id": &t.id, "name": &t.name})
	t.hasID = present["id"]
	return t, err
}

func (s *Server) apiCreateTag(c *call) (any, error) {
	req, err := c.tagFields()
	if err != nil {
		return nil, err
	}
	t, err := s.createTag(req.name)
	if err != nil {
		return nil, err
	}
	return map[string]tagRef{"tag": {t.ID, t.Name}}, nil
}

func (s *Server) apiListTags(*call) (any, error) {
	return map[string][]Tag{"tags": s.tagList()}, nil
}

func (s *Server) apiUpdateTag(c *call) (any, error) {
	req, err := c.tagFields()
	switch {
	case err != nil:
		return nil, err
	case !req.hasID:
		return nil, apiError(45159)
	}
	return okReply, s.renameTag(req.id, req.name)
}

func (s *Server) apiDeleteTag(c *call) (any, error) {
	req, err := c.tagFields()
	switch {
	case err != nil:
		return nil, err
	case !req.hasID:
		return nil, apiError(45159)
	}
	return okReply, s.deleteTag(req.id)
}

type fansPage struct {
	Count      int         `json:"count"`
	Data       *openidList `json:"data,omitempty"`
	NextOpenID string      `json:"next_openid,omitempty"`
}

type openidList struct {
	OpenID []string `json:"openid"`
}

func (s *Server) apiTagFans(c *call) (any, error) {
	body, err := c.object()
	if err != nil {
		return nil, err
	}
	var tagID int64
	var next string // optional: the first page when absent
	present, err := body.decode(fields{"tagid": &tagID, "next_openid": &next})
	switch {
	case err != nil:
		return nil, err
	case !present["tagid"]:
		return nil, apiError(45159)
	}
	page, err := s.tagFans(tagID, next)
	if err != nil || len(page) == 0 {
		return fansPage{}, err
	}
	return fansPage{Count: len(page), Data: &openidList{page}, NextOpenID: page[len(page)-1]}, nil
}

func (s *Server) apiBatchTagging(c *call) (any, error)   { return s.apiBatch(c, true) }
func (s *Server) apiBatchUntagging(c *call) (any, error) { return s.apiBatch(c, false) }

// apiBatch reads a missing openid_list as an empty one (40032) and a missing tagid as
// an invalid one (45159).
func (s *Server) apiBatch(c *call, add bool) (any, error) {
	body, err := c.object()
	if err != nil {
		return nil, err
	}
	var openids []string
	var tagID int64
	present, err := body.decode(fields{"openid_list": &openids, "tagid": &tagID})
	switch {
	case err != nil:
		return nil, err
	case len(openids) == 0 || len(openids) > maxOpenIDsPerBatch:
		return nil, apiError(40032)
	case !present["tagid"]:
		return nil, apiError(45159)
	}
	return okReply, s.setMembership(tagID, openids, add)
}

// apiUserTagIDs reads a missing openid as the empty one, which is no follower: 40003.
func (s *Server) apiUserTagIDs(c *call) (any, error) {
	body, err := c.object()
	if err != nil {
		return nil, err
	}
	var openid string
	if _, err := body.decode(fields{"openid": &openid}); err != nil {
		return nil, err
	}
	f, err := s.follower(openid)
	if err != nil {
		return nil, err
	}
	return map[string][]int64{"tagid_list": append([]int64{}, f.tags...)}, nil
}

// Out-of-band changes.

func (s *Server) outOfBand(what string, change func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := change(); err != nil {
		return fmt.Errorf("mockwechat: %s: %w", what, err)
	}
	return nil
}

// CreateTag creates a tag as another administrator would.
func (s *Server) CreateTag(name string) (Tag, error) {
	var t *Tag
	err := s.outOfBand(fmt.Sprintf("create tag %q", name), func() (err error) {
		t, err = s.createTag(name)
		return err
	})
	if err != nil {
		return Tag{}, err
	}
	return *t, nil
}

// RenameTag renames a tag as another administrator would.
func (s *Server) RenameTag(id int64, name string) error {
	return s.outOfBand(fmt.Sprintf("rename tag %d to %q", id, name), func() error { return s.renameTag(id, name) })
}

// DeleteTag deletes a tag, removing it from every follower.
func (s *Server) DeleteTag(id int64) error {
	return s.outOfBand(fmt.Sprintf("delete tag %d", id), func() error { return s.deleteTag(id) })
}

// TagUser gives a follower a tag; it is a no-op if the follower has it.
func (s *Server) TagUser(openid string, tagID int64) error {
	return s.outOfBand(fmt.Sprintf("tag %s with tag %d", openid, tagID), func() error {
		return s.setMembership(tagID, []string{openid}, true)
	})
}

// UntagUser takes a tag from a follower; it is a no-op if the follower lacks it.
func (s *Server) UntagUser(openid string, tagID int64) error {
	return s.outOfBand(fmt.Sprintf("untag %s from tag %d", openid, tagID), func() error {
		return s.setMembership(tagID, []string{openid}, false)
	})
}

// AddFollower makes openid a follower, after all the others. Adding a
// follower twice, or "", does nothing.
func (s *Server) AddFollower(openid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addFollower(openid)
}

// Inspection.

// Tags returns what tags/get would list, sorted by id.
func (s *Server) Tags() []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tagList()
}

// TagByID returns the tag with the id if tags/get would list it.
func (s *Server) TagByID(id int64) (Tag, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tags[id]; ok {
		return *t, true
	}
	return Tag{}, false
}

// UserTags returns the sorted ids of a follower's tags; false if openid is
// not a follower.
func (s *Server) UserTags(openid string) ([]int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.followers[openid]
	if !ok {
		return nil, false
	}
	return f.sortedTags(), true
}

func (f *follower) sortedTags() []int64 {
	ids := append([]int64{}, f.tags...)
	slices.Sort(ids)
	return ids
}

// Followers returns the followers' openids in the order they followed.
func (s *Server) Followers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	openids := make([]string, len(s.order))
	for i, f := range s.order {
		openids[i] = f.openid
	}
	return openids
}
