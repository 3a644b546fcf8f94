package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
)

// The rules every resource of the provider lives by are written here, once. A resource
// says what is its own: its model, the calls that read, create, change and delete its
// object, the answer of WeChat that proves the object gone, and how to explain a failure.
// The lifecycle adds, around those calls:
//
//   - the account guard (records.go), before any call on a resource that has a state;
//   - the account and the identity, recorded with every state it saves;
//   - a refresh removes the resource only on its proof that the object is gone, and a
//     destroy that meets that proof is done: any other failure keeps the state;
//   - a failed create saves nothing; a failed change or destroy saves what the resource
//     says its object now is, so that the next plan shows only what is still missing.

// managedObject is what a resource of model M tells the lifecycle of its own.
type managedObject[M any] interface {
	// account is the client the resource calls, nil while Terraform only validates.
	account() accountAPI
	// identity is the resource identity of the object m manages.
	identity(m M) any
	// gone reports whether err, met reading or deleting the object of m, proves that the
	// object no longer exists on the account.
	gone(m M, err error) bool
	// explain adds the diagnostics of err, met by op about m.
	explain(ctx context.Context, diags *diag.Diagnostics, op operation, m M, err error)
}

// operation is what the lifecycle was doing when a call failed.
type operation int

const (
	creating operation = iota
	reading
	updating
	deleting
	importing
)

// lifecycle runs the operations of one resource type of model M.
type lifecycle[M any] struct {
	object managedObject[M]
}

func lifecycleOf[M any](object managedObject[M]) lifecycle[M] {
	return lifecycle[M]{object: object}
}

// create makes the object of a new resource. A create that fails saves nothing: without
// state, the next apply reads the object anew and makes only what is still missing.
func (l lifecycle[M]) create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse,
	create func(ctx context.Context, plan M, private records, diags *diag.Diagnostics) (M, error),
) {
	var plan M
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	private := recordsOf(resp.Private, resp.Private)
	made, err := create(ctx, plan, private, &resp.Diagnostics)
	if err != nil {
		l.object.explain(ctx, &resp.Diagnostics, creating, plan, err)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	l.save(ctx, made, &resp.State, private, resp.Identity, &resp.Diagnostics)
}

// read refreshes the state from the object.
func (l lifecycle[M]) read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse,
	read func(ctx context.Context, state M, private records, diags *diag.Diagnostics) (M, error),
) {
	var state M
	private := recordsOf(req.Private, resp.Private)
	if !l.guard(ctx, private, &resp.Diagnostics) || !get(ctx, req.State, &state, &resp.Diagnostics) {
		return
	}
	current, err := read(ctx, state, private, &resp.Diagnostics)
	switch {
	case err != nil && l.object.gone(state, err):
		// The framework wants an identity even for a resource that is gone.
		setIdentity(ctx, resp.Identity, l.object.identity(state), &resp.Diagnostics)
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		l.object.explain(ctx, &resp.Diagnostics, reading, state, err)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	l.save(ctx, current, &resp.State, private, resp.Identity, &resp.Diagnostics)
}

// update changes the object from state to plan. What update returns is saved even when
// it fails: the resource returns the state it was given when nothing was changed, and
// what the object now is otherwise.
func (l lifecycle[M]) update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse,
	update func(ctx context.Context, plan, state M, private records, diags *diag.Diagnostics) (M, error),
) {
	var plan, state M
	private := recordsOf(req.Private, resp.Private)
	if !l.guard(ctx, private, &resp.Diagnostics) || !get(ctx, req.Plan, &plan, &resp.Diagnostics) || !get(ctx, req.State, &state, &resp.Diagnostics) {
		return
	}
	updated, err := update(ctx, plan, state, private, &resp.Diagnostics)
	if err != nil {
		l.object.explain(ctx, &resp.Diagnostics, updating, plan, err)
	}
	l.save(ctx, updated, &resp.State, private, resp.Identity, &resp.Diagnostics)
}

// delete destroys the object. A destroy that meets the proof that the object is gone is
// done; one that fails otherwise saves what delete returns, the part of the object the
// resource still manages, so that the next destroy takes only that.
func (l lifecycle[M]) delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse,
	destroy func(ctx context.Context, state M, private records, diags *diag.Diagnostics) (M, error),
) {
	var state M
	private := recordsOf(req.Private, resp.Private)
	if !l.guard(ctx, private, &resp.Diagnostics) || !get(ctx, req.State, &state, &resp.Diagnostics) {
		return
	}
	remaining, err := destroy(ctx, state, private, &resp.Diagnostics)
	if err != nil && !l.object.gone(state, err) {
		l.object.explain(ctx, &resp.Diagnostics, deleting, state, err)
	}
	if !resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, remaining)...)
	setIdentity(ctx, resp.Identity, l.object.identity(remaining), &resp.Diagnostics)
}

// importState saves the state from which the read that follows an import starts.
func (l lifecycle[M]) importState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse,
	imported func(ctx context.Context, id string, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) (M, error),
) {
	m, err := imported(ctx, req.ID, req.Identity, &resp.Diagnostics)
	if err != nil {
		l.object.explain(ctx, &resp.Diagnostics, importing, m, err)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	l.save(ctx, m, &resp.State, recordsOf(resp.Private, resp.Private), resp.Identity, &resp.Diagnostics)
}

// modifyPlan checks a plan that creates or changes the resource; prior is nil for a new
// one. A plan that destroys the resource is only guarded. When plan reports that it
// changed the plan, the plan is saved.
func (l lifecycle[M]) modifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse,
	check func(ctx context.Context, plan *M, prior *M, private records, diags *diag.Diagnostics) (changed bool),
) {
	// Terraform validates a configuration before the provider is configured.
	if l.object.account() == nil {
		return
	}
	private := recordsOf(req.Private, req.Private)
	var prior *M
	if !req.State.Raw.IsNull() {
		prior = new(M)
		if !l.guard(ctx, private, &resp.Diagnostics) || !get(ctx, req.State, prior, &resp.Diagnostics) {
			return
		}
	}
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan M
	if !get(ctx, req.Plan, &plan, &resp.Diagnostics) {
		return
	}
	if check(ctx, &plan, prior, private, &resp.Diagnostics) {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
	}
}

// guard refuses, before any call, a resource recorded under an account other than the
// one the provider acts for (records.go).
func (l lifecycle[M]) guard(ctx context.Context, private records, diags *diag.Diagnostics) bool {
	problem := private.refuseOtherAccount(ctx, l.object.account().AppID())
	if problem != nil {
		diags.Append(problem)
	}
	return problem == nil
}

// save sets the state to m, with the account and the identity of its object.
func (l lifecycle[M]) save(ctx context.Context, m M, state *tfsdk.State, private records, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	diags.Append(state.Set(ctx, m)...)
	private.recordAccount(ctx, l.object.account().AppID(), diags)
	setIdentity(ctx, identity, l.object.identity(m), diags)
}

// setIdentity sets a resource's identity. CLIs without identity (before Terraform 1.12)
// give none.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, value any, diags *diag.Diagnostics) {
	if identity == nil {
		return
	}
	diags.Append(identity.Set(ctx, value)...)
}

// get reads a plan or state into m.
func get[M any](ctx context.Context, from interface {
	Get(context.Context, any) diag.Diagnostics
}, m *M, diags *diag.Diagnostics,
) bool {
	diags.Append(from.Get(ctx, m)...)
	return !diags.HasError()
}
