package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

var (
	_ resource.ResourceWithConfigure   = &TagResource{}
	_ resource.ResourceWithImportState = &TagResource{}
	_ resource.ResourceWithModifyPlan  = &TagResource{}
	_ resource.ResourceWithIdentity    = &TagResource{}
)

// TagResource is wechat_tag: one user tag of the account.
type TagResource struct {
	client tagsAPI
	// tags is what the plan does to the account's tags, shared by every wechat_tag.
	tags *tagTally
}

func NewTagResource() resource.Resource {
	return &TagResource{}
}

type tagModel struct {
	ID   types.Int64  `tfsdk:"id"`
	Name types.String `tfsdk:"name"`
}

func (r *TagResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tag"
}

func (r *TagResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A user tag of the WeChat Official Account. " +
			"Changing `name` renames the tag in place: its id, and the followers that carry it, stay. " +
			"An account has at most 100 tags, and tag names are unique within it.",
		Attributes: map[string]schema.Attribute{
			"id": schema.Int64Attribute{
				MarkdownDescription: "The id WeChat gave the tag. Use it in `wechat_user_tags.tag_ids`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the tag: 1 to 30 bytes of UTF-8 (a Chinese character takes 3 bytes), unique within the account, " +
					"without white space at either end or control characters. A name another tag already has is reported at plan time.",
				Required:   true,
				Validators: []validator.String{validTagName},
			},
		},
	}
}

func (r *TagResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.Int64Attribute{
				Description:       "The id WeChat gave the tag, such as 134.",
				RequiredForImport: true,
			},
		},
	}
}

func (r *TagResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.client, r.tags = data.client, data.tags
	}
}

func (r *TagResource) account() accountAPI { return r.client }

func (r *TagResource) identity(m tagModel) any { return tagIdentityModel{ID: m.ID} }

// gone: only a successful tags/get without the tag proves it gone; the client tells a tag
// deleted from one not visible yet.
func (r *TagResource) gone(_ tagModel, err error) bool { return wechat.IsTagNotFound(err) }

var tagFailures = map[operation]string{
	creating:  "Unable to create the tag",
	reading:   "Unable to read the tag",
	updating:  "Unable to rename the tag",
	deleting:  "Unable to delete the tag",
	importing: "Unable to read the tag to import",
}

// explain reports a failure about the tag of m. WeChat returns one code, 45157, for an
// illegal name and for a name already in use, so the account's tags, read anew after the
// failed write, tell which it was.
func (r *TagResource) explain(ctx context.Context, diags *diag.Diagnostics, op operation, m tagModel, err error) {
	s := tagSubject(tagFailures[op], m.ID.ValueInt64(), m.Name.ValueString())
	c := conditionOf(err)
	switch {
	case c == tagNameRefused:
		tags, listErr := r.client.CachedTags(ctx)
		if existing, found := tagWhere(tags, func(t wechat.Tag) bool { return t.Name == s.tagName && t.ID != s.tagID }); listErr == nil && found {
			diags.Append(tagNameTaken.diagnostic(s, existing.ID, err))
			return
		}
	case c == tagNotFound && op != importing:
		c = tagDeletedOutside
	}
	diags.Append(explained(c, s, err))
}

func (r *TagResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	lifecycleOf(r).create(ctx, req, resp, func(ctx context.Context, plan tagModel, _ records, _ *diag.Diagnostics) (tagModel, error) {
		tag, err := r.client.CreateTag(ctx, plan.Name.ValueString())
		plan.ID = types.Int64Value(tag.ID)
		return plan, err
	})
}

func (r *TagResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.tags.touched()
	lifecycleOf(r).read(ctx, req, resp, func(ctx context.Context, state tagModel, _ records, _ *diag.Diagnostics) (tagModel, error) {
		tag, err := r.client.LookupTag(ctx, state.ID.ValueInt64())
		state.Name = types.StringValue(tag.Name)
		return state, err
	})
}

func (r *TagResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	lifecycleOf(r).update(ctx, req, resp, func(ctx context.Context, plan, state tagModel, _ records, _ *diag.Diagnostics) (tagModel, error) {
		plan.ID = state.ID
		if plan.Name.Equal(state.Name) {
			return plan, nil
		}
		if err := r.client.RenameTag(ctx, state.ID.ValueInt64(), plan.Name.ValueString()); err != nil {
			return state, err
		}
		return plan, nil
	})
}

func (r *TagResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	lifecycleOf(r).delete(ctx, req, resp, func(ctx context.Context, state tagModel, _ records, _ *diag.Diagnostics) (tagModel, error) {
		// An apply runs its destructions without planning them again: a creation of the
		// same apply that meets the limit counts this one from here.
		r.tags.planDestroy(state.ID.ValueInt64())
		r.tags.touched()
		return state, r.client.DeleteTag(ctx, state.ID.ValueInt64())
	})
}

func (r *TagResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	lifecycleOf(r).importState(ctx, req, resp, func(ctx context.Context, id string, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) (tagModel, error) {
		tagID, ok := importedTagID(ctx, id, identity, "wechat_tag", "id", diags)
		if !ok {
			return tagModel{}, nil
		}
		if wechat.IsSystemTag(tagID) {
			diags.AddError("System tag cannot be imported",
				fmt.Sprintf("Tag %d is a WeChat system tag (0 untagged, 1 blacklist, 2 starred), which cannot be renamed or deleted, "+
					"so Terraform cannot manage it. Import a tag created on the account (id 100 or above).", tagID))
			return tagModel{}, nil
		}
		tag, err := r.client.LookupTag(ctx, tagID)
		return tagModel{ID: types.Int64Value(tagID), Name: types.StringValue(tag.Name)}, err
	})
}

// importedTagID is the tag id an import names: the string of `terraform import` and of an
// import block's `id`, or the attribute of an import block's `identity` that holds it.
// resourceType names the resource in the errors.
func importedTagID(ctx context.Context, importID string, identity *tfsdk.ResourceIdentity, resourceType, attribute string, diags *diag.Diagnostics) (int64, bool) {
	if importID == "" && identity != nil {
		var id types.Int64
		diags.Append(identity.GetAttribute(ctx, path.Root(attribute), &id)...)
		if diags.HasError() {
			return 0, false
		}
		if id.IsNull() || id.IsUnknown() {
			diags.AddError("Missing tag id in identity",
				fmt.Sprintf("Import a %s by identity with the numeric WeChat tag id: identity = { %s = 134 }.", resourceType, attribute))
			return 0, false
		}
		return id.ValueInt64(), true
	}
	id, err := strconv.ParseInt(importID, 10, 64)
	if err != nil || id < 0 {
		diags.AddError("Invalid import ID",
			fmt.Sprintf("%q is not a tag id. Import a %s by the numeric WeChat tag id, such as 134.", importID, resourceType))
		return 0, false
	}
	return id, true
}

func tagWhere(tags []wechat.Tag, match func(wechat.Tag) bool) (wechat.Tag, bool) {
	for _, t := range tags {
		if match(t) {
			return t, true
		}
	}
	return wechat.Tag{}, false
}

// ModifyPlan reports, at plan time, a new name that another tag of the account already
// has, and creations past the account's tag limit: WeChat would refuse them at apply,
// after other resources were changed.
func (r *TagResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	r.tags.touched()
	if req.Plan.Raw.IsNull() && !req.State.Raw.IsNull() {
		// A destruction frees a place for the creations of the same plan.
		var prior tagModel
		if !req.State.Get(ctx, &prior).HasError() {
			r.tags.planDestroy(prior.ID.ValueInt64())
		}
	}
	lifecycleOf(r).modifyPlan(ctx, req, resp, func(ctx context.Context, plan, prior *tagModel, _ records, diags *diag.Diagnostics) bool {
		if plan.Name.IsUnknown() || prior != nil && prior.Name.Equal(plan.Name) {
			return false
		}
		selfID := int64(-1)
		if prior != nil {
			selfID = prior.ID.ValueInt64()
		}
		if checkNameFree(ctx, r.client, plan.Name.ValueString(), selfID, diags) && prior == nil {
			checkAccountRoom(ctx, r.client, r.tags, plan.Name.ValueString(), diags)
		}
		return false
	})
}

// checkNameFree reports a name another tag than selfID (-1 for a tag not created yet)
// already has, and whether the name is free.
func checkNameFree(ctx context.Context, api tagsAPI, name string, selfID int64, diags *diag.Diagnostics) bool {
	tags, err := api.CachedTags(ctx)
	if err != nil {
		// The apply still meets WeChat's own check, with the same guidance.
		diags.AddWarning("Unable to check the tag name",
			fmt.Sprintf("Reading the account's tags to check that no other tag is named %q failed: %s", name, err))
		return false
	}
	existing, taken := tagWhere(tags, func(t wechat.Tag) bool { return t.Name == name && t.ID != selfID })
	if taken {
		diags.Append(tagNameTaken.diagnostic(tagSubject("", selfID, name), existing.ID, nil))
	}
	return !taken
}

// checkAccountRoom counts the tag named name, which the plan creates, with the others it
// creates and destroys, against the account's tag limit: WeChat would refuse the
// creations past it at apply, after others were made.
func checkAccountRoom(ctx context.Context, api tagsAPI, tally *tagTally, name string, diags *diag.Diagnostics) {
	tags, err := api.CachedTags(ctx)
	if err != nil {
		// The name check read the same tags/get and warned if it failed; a read failing only
		// now leaves the limit to WeChat at apply, with the same guidance.
		return
	}
	room := tally.planCreate(tags, name)
	if room.exceeded() && tally != nil {
		if room, err = tally.judge(ctx, func() ([]wechat.Tag, error) { return api.CachedTags(ctx) }); err != nil {
			return
		}
	}
	s := tagSubject("", 0, name)
	switch {
	case room.exceeded():
		diags.Append(accountTagLimitPlanned.diagnostic(s, room, nil))
	case room.waitsForDestroys():
		diags.Append(accountTagLimitAfterDestroys.diagnostic(s, room, nil))
	case room.mayBeExceeded():
		diags.Append(accountTagLimitUncertain.diagnostic(s, room, nil))
	}
}

// tagSubject is the subject of a failure about the tag id (0 for one not created yet)
// named name.
func tagSubject(failure string, id int64, name string) subject {
	about := fmt.Sprintf("Tag %d", id)
	if name != "" {
		about = fmt.Sprintf("Tag %q", name)
	}
	return subject{failure: failure, about: about, tagID: id, tagName: name, where: attributes{name: path.Root("name")}}
}
