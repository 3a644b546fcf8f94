package wechat

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"time"
)

// A follower's tags can be read two ways. tags/getidlist answers for one follower a call;
// user/tag/get lists a tag's followers 10,000 a page, so reading every tag of the account
// once (a snapshot) answers for every follower. Which is cheaper depends on how many
// followers a command reads, which the client learns only as the reads come: a refresh
// of 2,000 wechat_user_tags on an account of 20 tags costs 2,000 getidlist calls or about
// 40 user/tag/get calls, a plan of 3 followers on an account with a 1,000,000-follower
// tag costs 3 getidlist calls or over 100 pages and 100 MB.

// MembershipReads is how the client answers FollowerTags.
type MembershipReads string

const (
	// MembershipReadsAuto reads follower by follower until the reads made reach what a
	// snapshot of the account's memberships costs, priced from the follower counts of
	// tags/get, then takes the snapshot and answers the rest from it. A command then costs
	// at most about twice what the cheaper way would have.
	MembershipReadsAuto MembershipReads = "auto"
	// MembershipReadsPerFollower sends one tags/getidlist for each follower read.
	MembershipReadsPerFollower MembershipReads = "per_follower"
	// MembershipReadsPerTag takes the snapshot at the first follower read.
	MembershipReadsPerTag MembershipReads = "per_tag"
)

// MembershipReadsChoices are the values of MembershipReads, the default first.
var MembershipReadsChoices = []MembershipReads{MembershipReadsAuto, MembershipReadsPerFollower, MembershipReadsPerTag}

// MembershipPageSize is the most openids one user/tag/get page carries, as WeChat
// documents it; a snapshot is priced with it.
const MembershipPageSize = 10000

const (
	// blindFollowerReads are the follower reads made before tags/get is read only to price
	// a snapshot: a command that reads a few followers and no tag pays no call for it.
	blindFollowerReads = 8
	// snapshotConcurrency is how many tags a snapshot reads at once: the refreshes waiting
	// for it are on the critical path, and Terraform itself sends up to 10 reads at once.
	snapshotConcurrency = 8
	// snapshotTagCapacity is how many tags one snapshot can hold: the bits of tagSet, more
	// than the 100 tags and the starred one an account has.
	snapshotTagCapacity = 128
)

// errSnapshotTooLarge is a snapshot declined for an account listing more tags than it holds.
var errSnapshotTooLarge = fmt.Errorf("the account lists more than %d tags", snapshotTagCapacity)

// SnapshotCost is how many user/tag/get calls a snapshot of the account whose tags/get
// answered tags would make: for each tag that user/tag/get lists, a page per 10,000
// followers and the empty page that ends the listing.
func SnapshotCost(tags []Tag) int {
	cost := 0
	for _, t := range tags {
		if snapshotListable(t.ID) {
			cost += 1 + (max(t.Count, 0)+MembershipPageSize-1)/MembershipPageSize
		}
	}
	return cost
}

// snapshotListable reports whether user/tag/get lists the followers of the tag: it refuses
// the system tags 0 and 1, which tags/get does not list either.
func snapshotListable(id int64) bool { return id == TagStarred || !IsSystemTag(id) }

// membershipReads chooses, follower read after follower read, how to answer, and holds the
// snapshot once taken.
type membershipReads struct {
	mode MembershipReads
	log  LogFunc

	mu sync.Mutex
	// followerReads counts the reads answered by tags/getidlist.
	followerReads int
	// pricedAt is the count of follower reads at or after which a snapshot is priced.
	pricedAt int
	// declined says that auto reads per follower for the rest of the process: a snapshot
	// failed, or cannot hold the account.
	declined  bool
	announced bool
	snap      *snapshot
	// answers are the follower reads tags/getidlist answered, kept true by the writes
	// since, so that the plan-time check and the change of one apply read a follower once.
	answers map[string][]int64
	// members are the followers of tags user/tag/get listed, kept true the same way, so
	// that the plan-time check of a tag's followers and the change of one apply read them
	// once.
	members map[int64][]string
	// writes counts the membership writes ended: an answer read across one is not kept.
	writes uint64
}

// writesEnded is the count of writes ended so far, for keep.
func (r *membershipReads) writesEnded() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writes
}

// recall returns what an earlier read of this process found under key: a follower's tags
// in r.answers, a tag's followers in r.members.
func recall[K comparable, V any](r *membershipReads, answers *map[K][]V, key K) ([]V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	found, ok := (*answers)[key]
	return slices.Clone(found), ok
}

// keep keeps what a read begun after since writes had ended found under key, unless
// another write has ended since: the read may not have seen it.
func keep[K comparable, V any](r *membershipReads, answers *map[K][]V, key K, found []V, since uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writes != since {
		return
	}
	if *answers == nil {
		*answers = map[K][]V{}
	}
	(*answers)[key] = slices.Clone(found)
}

// editAnswers applies a write to the remembered answers. The caller holds r.mu.
func (r *membershipReads) editAnswers(tagID int64, openids []string, add bool, applied bool) {
	r.writes++
	if members, ok := r.members[tagID]; ok {
		// One pass over the tag's followers a write, with the batch in a map: a tag of
		// 100,000 followers is written in 2,000 calls.
		batch := make(map[string]bool, len(openids))
		for _, openid := range openids {
			batch[openid] = true
		}
		switch {
		case !applied:
			delete(r.members, tagID)
		case add:
			for _, openid := range members {
				delete(batch, openid)
			}
			for _, openid := range openids {
				if batch[openid] {
					members = append(members, openid)
					delete(batch, openid)
				}
			}
			r.members[tagID] = members
		default:
			r.members[tagID] = slices.DeleteFunc(members, func(openid string) bool { return batch[openid] })
		}
	}
	for _, openid := range openids {
		tags, ok := r.answers[openid]
		switch {
		case !ok:
		case !applied:
			delete(r.answers, openid)
		case add && !slices.Contains(tags, tagID):
			r.answers[openid] = append(tags, tagID)
		case !add:
			r.answers[openid] = slices.DeleteFunc(tags, func(id int64) bool { return id == tagID })
		}
	}
}

func newMembershipReads(mode MembershipReads, log LogFunc) (*membershipReads, error) {
	if mode == "" {
		mode = MembershipReadsAuto
	}
	if !slices.Contains(MembershipReadsChoices, mode) {
		return nil, fmt.Errorf("wechat: membership reads %q is none of %v", mode, MembershipReadsChoices)
	}
	if log == nil {
		log = func(context.Context, string, map[string]any) {}
	}
	return &membershipReads{mode: mode, log: log, pricedAt: blindFollowerReads}, nil
}

// snapshotFor returns the snapshot that answers a follower read, taking it when the reads
// made have reached its cost, or nil when tags/getidlist answers this read.
func (r *membershipReads) snapshotFor(ctx context.Context, c *Client) (*snapshot, error) {
	r.mu.Lock()
	switch {
	case r.snap != nil:
		defer r.mu.Unlock()
		return r.snap, nil
	case r.mode == MembershipReadsPerTag:
		defer r.mu.Unlock()
		return r.take(ctx, c, "membership reads are per_tag", nil), nil
	case r.mode == MembershipReadsPerFollower || r.declined:
		defer r.mu.Unlock()
		r.followerReads++
		return nil, nil
	}
	made := r.followerReads
	r.mu.Unlock()

	tags, cached := c.tags.peek()
	if !cached && made >= r.pricing() {
		var err error
		if tags, err = c.KnownTags(ctx); err != nil {
			// Only the price of a snapshot is unknown: getidlist answers as well.
			r.mu.Lock()
			r.pricedAt = made + blindFollowerReads
			r.mu.Unlock()
			r.log(ctx, "Membership reads: per follower, since reading the account's tags to price a snapshot failed", map[string]any{"error": err.Error()})
		} else {
			cached = true
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.snap != nil {
		return r.snap, nil
	}
	if cached {
		cost := SnapshotCost(tags)
		if !r.announced {
			r.announced = true
			r.log(ctx, "Membership reads: one tags/getidlist per follower until the reads made reach what a snapshot of every tag's followers costs", map[string]any{
				"strategy": string(MembershipReadsPerFollower), "snapshot_calls": cost, "tags": len(tags), "memberships": memberships(tags),
			})
		}
		if r.followerReads >= cost {
			return r.take(ctx, c, "the follower reads made reach what a snapshot costs", tags), nil
		}
	}
	r.followerReads++
	return nil, nil
}

func (r *membershipReads) pricing() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pricedAt
}

// memberships is how many follower-tag pairs tags/get counts.
func memberships(tags []Tag) int {
	n := 0
	for _, t := range tags {
		n += max(t.Count, 0)
	}
	return n
}

// take starts the snapshot. The caller holds r.mu.
func (r *membershipReads) take(ctx context.Context, c *Client, reason string, tags []Tag) *snapshot {
	fields := map[string]any{"strategy": string(MembershipReadsPerTag), "reason": reason, "follower_reads": r.followerReads}
	if tags != nil {
		fields["snapshot_calls"], fields["tags"], fields["memberships"] = SnapshotCost(tags), len(tags), memberships(tags)
	}
	r.log(ctx, "Membership reads: reading every tag's followers once, to answer the follower reads from now on", fields)
	fillCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &snapshot{done: make(chan struct{}), cancel: cancel, waiters: waiters{cancel: cancel}}
	r.snap = s
	go r.fill(fillCtx, c, s)
	return s
}

// fill reads the snapshot and publishes it, with the edits of the writes that ended
// meanwhile applied.
func (r *membershipReads) fill(ctx context.Context, c *Client, s *snapshot) {
	defer s.cancel()
	began := time.Now()
	view, calls, err := c.readMemberships(ctx)

	r.mu.Lock()
	defer r.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.membershipView, s.err, s.filled = view, err, true
	for _, change := range s.pending {
		if err == nil && !change(&s.membershipView) {
			s.void = true
		}
	}
	s.pending = nil
	close(s.done)

	fields := map[string]any{"calls": calls, "duration_ms": time.Since(began).Milliseconds()}
	switch {
	case err != nil:
		fields["error"] = err.Error()
		if r.snap == s {
			r.snap = nil
			// A snapshot that failed is not tried again: the reads it would serve fail or
			// succeed the same one by one. Forced by per_tag, the next read tries again.
			r.declined = r.mode == MembershipReadsAuto
		}
		r.log(ctx, "Membership reads: reading every tag's followers failed; the reads that waited for it fail", fields)
	case s.void:
		r.forget(s)
		r.log(ctx, "Membership reads: a write made while every tag's followers were read left the snapshot unsure; it is dropped", fields)
	default:
		fields["tags"], fields["followers"] = len(s.tagBit), len(s.followers)
		r.log(ctx, "Membership reads: every tag's followers read", fields)
	}
}

// forget drops s, when it is the current snapshot. The caller holds r.mu.
func (r *membershipReads) forget(s *snapshot) {
	if r.snap == s {
		r.snap = nil
	}
}

// edit keeps the snapshot true after a write of this client: change applies what the
// write did, and returns false when the snapshot can no longer vouch for the account,
// which drops it. A write that ends while the snapshot is being read is applied to it
// once read: every change is idempotent, so whether the read saw the write or not, the
// result is the same.
func (r *membershipReads) edit(change func(*membershipView) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.snap
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.filled:
		s.pending = append(s.pending, change)
	case s.err == nil && !s.void && !change(&s.membershipView):
		s.void = true
		r.forget(s)
	}
}

// membersChanged records a batch call that gave (add) or took the tag from openids.
func (r *membershipReads) membersChanged(tagID int64, openids []string, add bool, err error) {
	if err != nil && refused(err) {
		return
	}
	openids = slices.Clone(openids)
	r.mu.Lock()
	r.editAnswers(tagID, openids, add, err == nil)
	r.mu.Unlock()
	r.edit(func(v *membershipView) bool {
		bit, held := v.tagBit[tagID]
		if err != nil || (add && !held) {
			// Applied or not, nobody knows: those followers are read one by one again.
			v.markUncertain(openids)
			return true
		}
		if !held {
			return true
		}
		for _, openid := range openids {
			set := v.followers[openid]
			if add {
				set.add(bit)
			} else {
				set.remove(bit)
			}
			// Kept when it empties: the follower is still known to follow the account.
			v.followers[openid] = set
		}
		return true
	})
}

// tagCreated records a tag this client created: one it created itself has no followers.
// One found by name after a lost response may be another's, and drops the snapshot.
func (r *membershipReads) tagCreated(id int64, adopted bool) {
	r.edit(func(v *membershipView) bool {
		if _, held := v.tagBit[id]; held {
			return true
		}
		if adopted {
			return false
		}
		return v.addTag(id)
	})
}

// tagDeleted records a tags/delete that ended with err.
func (r *membershipReads) tagDeleted(id int64, err error) {
	if err != nil && refused(err) && !IsTagNotFound(err) {
		return
	}
	gone := err == nil || IsTagNotFound(err)
	r.mu.Lock()
	var holders []string
	for openid, tags := range r.answers {
		if slices.Contains(tags, id) {
			holders = append(holders, openid)
		}
	}
	r.editAnswers(id, holders, false, gone)
	delete(r.members, id)
	r.mu.Unlock()
	r.edit(func(v *membershipView) bool {
		bit, held := v.tagBit[id]
		if !held {
			return true
		}
		for openid, set := range v.followers {
			if !set.has(bit) {
				continue
			}
			if !gone {
				v.markUncertain([]string{openid})
				continue
			}
			set.remove(bit)
			v.followers[openid] = set
		}
		if gone {
			delete(v.tagBit, id)
		}
		return true
	})
}

// refused reports whether the service answered a call with an error code, which it does
// only for a call it did not apply; any other failure may have been applied.
func refused(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr)
}

// snapshot is the followers of every tag of the account, read once, and kept true by the
// client's own writes since.
type snapshot struct {
	done    chan struct{}
	cancel  context.CancelFunc
	waiters waiters

	mu sync.Mutex
	membershipView
	err error
	// filled says the reads have ended: done is closed, or about to be.
	filled bool
	// void says a write left the snapshot unable to vouch for the account.
	void bool
	// pending are the edits of the writes that ended while the snapshot was being read.
	pending []func(*membershipView) bool
}

// followerTags answers a read of the follower's tags: known is false when the snapshot
// cannot say, and getidlist must.
func (s *snapshot) followerTags(ctx context.Context, openid string) (tags []int64, known bool, err error) {
	if err := s.waiters.wait(ctx, s.done); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case abandoned(ctx, s.err):
		// Abandoned by the reads that waited for it; this one still may read the follower.
		return nil, false, nil
	case s.err != nil:
		return nil, false, fmt.Errorf("reading the followers of every tag, to answer for follower %s: %w", openid, s.err)
	case s.void || s.uncertain[openid]:
		return nil, false, nil
	}
	set, ok := s.followers[openid]
	if !ok {
		// No tag listed the follower: one without tags and an openid that no longer follows
		// the account (40003, which proves a wechat_user_tags gone) look alike here. One
		// listed once and untagged since by this client is known to have none.
		return nil, false, nil
	}
	return s.tagIDs(set), true, nil
}

// membershipView is the account's memberships as a snapshot holds them: each follower's
// tags as a set of bits, one bit a tag.
type membershipView struct {
	tagBit    map[int64]int
	bitTag    [snapshotTagCapacity]int64
	nextBit   int
	followers map[string]tagSet
	// uncertain are followers whose tags a write of unknown outcome may have changed.
	uncertain map[string]bool
}

func newMembershipView() membershipView {
	return membershipView{tagBit: map[int64]int{}, followers: map[string]tagSet{}, uncertain: map[string]bool{}}
}

// addTag gives the tag id a bit, and reports false when none is left.
func (v *membershipView) addTag(id int64) bool {
	if v.nextBit >= snapshotTagCapacity {
		return false
	}
	v.tagBit[id], v.bitTag[v.nextBit] = v.nextBit, id
	v.nextBit++
	return true
}

func (v *membershipView) markUncertain(openids []string) {
	for _, openid := range openids {
		v.uncertain[openid] = true
	}
}

func (v *membershipView) tagIDs(set tagSet) []int64 {
	ids := make([]int64, 0, set.len())
	for word, w := range set {
		for ; w != 0; w &= w - 1 {
			ids = append(ids, v.bitTag[word*64+bits.TrailingZeros64(w)])
		}
	}
	slices.Sort(ids)
	return ids
}

// tagSet is a set of a snapshot's tag bits.
type tagSet [snapshotTagCapacity / 64]uint64

func (s *tagSet) add(bit int)     { s[bit/64] |= 1 << (bit % 64) }
func (s *tagSet) remove(bit int)  { s[bit/64] &^= 1 << (bit % 64) }
func (s tagSet) has(bit int) bool { return s[bit/64]&(1<<(bit%64)) != 0 }
func (s tagSet) len() (n int)     { return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) }

// readMemberships reads the followers of every tag tags/get lists, snapshotConcurrency
// tags at a time, and returns them with the user/tag/get calls made. The first failure
// stops the rest: a snapshot with a tag missing would answer "no tags" for its followers.
func (c *Client) readMemberships(ctx context.Context) (membershipView, int, error) {
	view := newMembershipView()
	tags, err := c.KnownTags(ctx)
	if err != nil {
		return view, 0, err
	}
	var ids []int64
	for _, t := range tags {
		if snapshotListable(t.ID) {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) > snapshotTagCapacity {
		return view, 0, errSnapshotTooLarge
	}
	for _, id := range ids {
		view.addTag(id)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu    sync.Mutex
		calls int
		wg    sync.WaitGroup
		gone  []int64
	)
	next := make(chan int64)
	for range min(snapshotConcurrency, len(ids)) {
		wg.Go(func() {
			for id := range next {
				bit := view.tagBit[id]
				n, err := c.tagMemberPages(ctx, id, func(page []string) {
					mu.Lock()
					defer mu.Unlock()
					for _, openid := range page {
						set := view.followers[openid]
						set.add(bit)
						view.followers[openid] = set
					}
				})
				mu.Lock()
				calls += n
				if IsTagNotFound(err) {
					// Deleted since tags/get: it has no followers left.
					gone, err = append(gone, id), nil
				}
				mu.Unlock()
				if err != nil {
					cancel(fmt.Errorf("tag %d: %w", id, err))
				}
			}
		})
	}
feed:
	for _, id := range ids {
		select {
		case next <- id:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return view, calls, err
	}
	for _, id := range gone {
		bit := view.tagBit[id]
		for openid, set := range view.followers {
			set.remove(bit)
			view.followers[openid] = set
		}
		delete(view.tagBit, id)
	}
	return view, calls, nil
}
