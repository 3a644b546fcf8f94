package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// idFrom plans a computed id from the attribute of the configuration it repeats, so that
// the id is known at plan time whenever that attribute is: Terraform names a resource by
// its id in the lines it prints.
type idFrom[T attr.Value] struct {
	attribute string
	// id is the id of the attribute's value, unknown while the value is.
	id func(T) types.String
}

var _ planmodifier.String = idFrom[types.String]{}

func (m idFrom[T]) Description(context.Context) string {
	return "the value of " + m.attribute + ", as a string"
}

func (m idFrom[T]) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (m idFrom[T]) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	var source T
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root(m.attribute), &source)...)
	if !resp.Diagnostics.HasError() && !source.IsNull() {
		resp.PlanValue = m.id(source)
	}
}
