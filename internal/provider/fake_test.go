package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// fakeWechat is an account in memory behind the provider's seam, for unit tests of the
// resources' error paths without Terraform or HTTP. Its failures are scripted per
// endpoint, call by call.
type fakeWechat struct {
	mu        sync.Mutex
	tags      map[int64]string
	followers map[string]map[int64]bool
	// foreign are openids of another AppID: every call naming one is refused with 49003.
	foreign map[string]bool
	// faults are the outcomes of the next calls of an endpoint, in turn; ok when empty.
	faults map[string][]fakeFault
	calls  map[string]int
	// appID is the account's AppID, as AppID reports it.
	appID string
}

// fakeFault is what a scripted call does instead of succeeding.
type fakeFault struct {
	err error
	// applied says the call takes effect before err is returned, as when a response is
	// lost.
	applied bool
}

var (
	errLostResponse = &wechat.TransportError{Endpoint: "fake", RequestSent: true}
	lostResponse    = fakeFault{err: errLostResponse, applied: true}
	droppedRequest  = fakeFault{err: errLostResponse}
)

func refusal(code int) fakeFault { return fakeFault{err: apiError(code)} }

func apiError(code int) error { return &wechat.APIError{Endpoint: "fake", ErrCode: code} }

// tagGone is the error the client returns once tags/get confirmed that a tag is gone.
func tagGone(id int64) error {
	return fmt.Errorf("tag %d does not exist on the account: %w (%w)", id, wechat.ErrTagNotFound, apiError(wechat.CodeInvalidTagID))
}

func newFakeWechat(followers ...string) *fakeWechat {
	f := &fakeWechat{
		tags:      map[int64]string{wechat.TagStarred: "星标组"},
		followers: map[string]map[int64]bool{},
		foreign:   map[string]bool{},
		faults:    map[string][]fakeFault{},
		calls:     map[string]int{},
		appID:     fakeAppID,
	}
	for _, openid := range followers {
		f.followers[openid] = map[int64]bool{}
	}
	return f
}

const fakeAppID = "wxfa4e000000000001"

func (f *fakeWechat) AppID() string { return f.appID }

func (f *fakeWechat) script(endpoint string, faults ...fakeFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[endpoint] = append(f.faults[endpoint], faults...)
}

// call counts a call and returns its scripted fault.
func (f *fakeWechat) call(endpoint string) fakeFault {
	f.calls[endpoint]++
	queue := f.faults[endpoint]
	if len(queue) == 0 {
		return fakeFault{}
	}
	f.faults[endpoint] = queue[1:]
	return queue[0]
}

func (f *fakeWechat) callsOf(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[endpoint]
}

func (f *fakeWechat) tagsOf(openid string) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int64
	for id := range f.followers[openid] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (f *fakeWechat) membersOf(tagID int64) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var members []string
	for openid, tags := range f.followers {
		if tags[tagID] {
			members = append(members, openid)
		}
	}
	slices.Sort(members)
	return members
}

func (f *fakeWechat) give(openid string, tagIDs ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range tagIDs {
		f.followers[openid][id] = true
	}
}

func (f *fakeWechat) CreateTag(_ context.Context, name string) (wechat.Tag, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fault := f.call("tags/create"); fault.err != nil {
		return wechat.Tag{}, fault.err
	}
	id := int64(100)
	for f.tags[id] != "" {
		id++
	}
	f.tags[id] = name
	return wechat.Tag{ID: id, Name: name}, nil
}

func (f *fakeWechat) RenameTag(_ context.Context, id int64, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fault := f.call("tags/update"); fault.err != nil {
		return fault.err
	}
	f.tags[id] = name
	return nil
}

func (f *fakeWechat) DeleteTag(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fault := f.call("tags/delete"); fault.err != nil {
		return fault.err
	}
	delete(f.tags, id)
	return nil
}

func (f *fakeWechat) CachedTags(context.Context) ([]wechat.Tag, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fault := f.call("tags/get"); fault.err != nil {
		return nil, fault.err
	}
	var tags []wechat.Tag
	for id, name := range f.tags {
		tags = append(tags, wechat.Tag{ID: id, Name: name})
	}
	return tags, nil
}

// KnownTags is CachedTags: the fake keeps no follower counts.
func (f *fakeWechat) KnownTags(ctx context.Context) ([]wechat.Tag, error) { return f.CachedTags(ctx) }

func (f *fakeWechat) LookupTag(ctx context.Context, id int64) (wechat.Tag, error) {
	tags, err := f.CachedTags(ctx)
	if err != nil {
		return wechat.Tag{}, err
	}
	if tag, found := tagWhere(tags, func(t wechat.Tag) bool { return t.ID == id }); found {
		return tag, nil
	}
	return wechat.Tag{}, fmt.Errorf("tag %d: %w", id, wechat.ErrTagNotFound)
}

func (f *fakeWechat) FollowerTags(_ context.Context, openid string) ([]int64, error) {
	f.mu.Lock()
	fault := f.call("tags/getidlist")
	f.mu.Unlock()
	if err := f.checkFollower(openid); err != nil {
		return nil, err
	}
	if fault.err != nil {
		return nil, fault.err
	}
	return f.tagsOf(openid), nil
}

func (f *fakeWechat) TagMembers(_ context.Context, tagID int64) ([]string, error) {
	f.mu.Lock()
	fault := f.call("user/tag/get")
	_, exists := f.tags[tagID]
	f.mu.Unlock()
	switch {
	case fault.err != nil:
		return nil, fault.err
	case !exists:
		return nil, tagGone(tagID)
	}
	return f.membersOf(tagID), nil
}

func (f *fakeWechat) TagFollowers(_ context.Context, tagID int64, openids []string) error {
	return f.batch("tags/members/batchtagging", tagID, openids, true)
}

func (f *fakeWechat) UntagFollowers(_ context.Context, tagID int64, openids []string) error {
	return f.batch("tags/members/batchuntagging", tagID, openids, false)
}

func (f *fakeWechat) batch(endpoint string, tagID int64, openids []string, add bool) error {
	f.mu.Lock()
	fault := f.call(endpoint)
	_, exists := f.tags[tagID]
	f.mu.Unlock()
	if len(openids) > wechat.MaxOpenIDsPerBatch {
		return fmt.Errorf("fake: %d openids in one call", len(openids))
	}
	if !exists {
		return tagGone(tagID)
	}
	// WeChat refuses the whole batch for one follower, without saying which.
	for _, openid := range openids {
		if err := f.checkFollower(openid); err != nil {
			return err
		}
		if add && len(f.tagsOf(openid)) >= wechat.MaxTagsPerFollower && !slices.Contains(f.tagsOf(openid), tagID) {
			return apiError(wechat.CodeUserTagLimitReached)
		}
	}
	if fault.err != nil && !fault.applied {
		return fault.err
	}
	f.mu.Lock()
	for _, openid := range openids {
		if add {
			f.followers[openid][tagID] = true
		} else {
			delete(f.followers[openid], tagID)
		}
	}
	f.mu.Unlock()
	return fault.err
}

func (f *fakeWechat) checkFollower(openid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.foreign[openid]:
		return apiError(wechat.CodeOpenIDNotOfApp)
	case f.followers[openid] == nil:
		return apiError(wechat.CodeInvalidOpenID)
	}
	return nil
}

var _ wechatAPI = (*fakeWechat)(nil)

// The helpers below call a resource's methods as the framework does, with plans and
// states built from the resource's own model and schema.

func resourceSchemaOf(t *testing.T, r resource.Resource) tfsdk.State {
	t.Helper()
	var resp resource.SchemaResponse
	r.Schema(t.Context(), resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("schema: %v", resp.Diagnostics)
	}
	return tfsdk.State{Schema: resp.Schema, Raw: tftypes.NewValue(resp.Schema.Type().TerraformType(t.Context()), nil)}
}

func stateOf(t *testing.T, r resource.Resource, model any) tfsdk.State {
	t.Helper()
	state := resourceSchemaOf(t, r)
	if diags := state.Set(t.Context(), model); diags.HasError() {
		t.Fatalf("state: %v", diags)
	}
	return state
}

func planOf(t *testing.T, r resource.Resource, model any) tfsdk.Plan {
	t.Helper()
	state := stateOf(t, r, model)
	return tfsdk.Plan(state)
}

func create(t *testing.T, r resource.Resource, plan any) resource.CreateResponse {
	t.Helper()
	resp := resource.CreateResponse{State: resourceSchemaOf(t, r)}
	r.Create(t.Context(), resource.CreateRequest{Plan: planOf(t, r, plan)}, &resp)
	return resp
}

func read(t *testing.T, r resource.Resource, state any) resource.ReadResponse {
	t.Helper()
	s := stateOf(t, r, state)
	resp := resource.ReadResponse{State: s}
	r.Read(t.Context(), resource.ReadRequest{State: s}, &resp)
	return resp
}

func update(t *testing.T, r resource.Resource, state, plan any) resource.UpdateResponse {
	t.Helper()
	resp := resource.UpdateResponse{State: resourceSchemaOf(t, r)}
	r.Update(t.Context(), resource.UpdateRequest{State: stateOf(t, r, state), Plan: planOf(t, r, plan)}, &resp)
	return resp
}

// destroy returns the response of Delete, whose State the framework keeps only when
// Delete reports an error.
func destroy(t *testing.T, r resource.Resource, state any) resource.DeleteResponse {
	t.Helper()
	s := stateOf(t, r, state)
	resp := resource.DeleteResponse{State: s}
	r.Delete(t.Context(), resource.DeleteRequest{State: s}, &resp)
	return resp
}

// expectDiagnostic fails unless diags holds exactly one error, with summary and a detail
// containing each of details.
func expectDiagnostic(t *testing.T, diags diag.Diagnostics, summary string, details ...string) {
	t.Helper()
	errs := diags.Errors()
	if len(errs) != 1 {
		t.Fatalf("diagnostics = %v, want one error %q", diags, summary)
	}
	if errs[0].Summary() != summary {
		t.Errorf("summary = %q, want %q (detail: %s)", errs[0].Summary(), summary, errs[0].Detail())
	}
	for _, d := range details {
		if !strings.Contains(errs[0].Detail(), d) {
			t.Errorf("detail %q does not contain %q", errs[0].Detail(), d)
		}
	}
}

func expectNoDiagnostics(t *testing.T, diags diag.Diagnostics) {
	t.Helper()
	if diags.HasError() {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
}

// expectAttribute fails unless the one error of diags is reported on attribute.
func expectAttribute(t *testing.T, diags diag.Diagnostics, attribute string) {
	t.Helper()
	withPath, ok := diags.Errors()[0].(diag.DiagnosticWithPath)
	if !ok || withPath.Path().String() != attribute {
		t.Errorf("error %q is reported on %v, want %s", diags.Errors()[0].Summary(), diags.Errors()[0], attribute)
	}
}

// APIQuota reports the calls the fake served of the endpoint a cgi path names, against
// a limit of 1,000 a day.
func (f *fakeWechat) APIQuota(_ context.Context, cgiPath string) (wechat.APIQuota, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fault := f.call("openapi/quota/get"); fault.err != nil {
		return wechat.APIQuota{}, fault.err
	}
	used := int64(f.calls[strings.TrimPrefix(cgiPath, "/cgi-bin/")])
	return wechat.APIQuota{DailyLimit: 1000, Used: used, Remain: 1000 - used}, nil
}

// AccessToken is a fixed token of the fake account, valid for an hour, unless a fault is
// scripted for "token".
func (f *fakeWechat) AccessToken(context.Context) (string, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fault := f.call("token"); fault.err != nil {
		return "", time.Time{}, fault.err
	}
	return "fake-access-token", time.Now().Add(time.Hour), nil
}
