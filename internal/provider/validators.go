package provider

import (
	"context"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// stringRule is a validator of a string attribute: check says what is wrong with a value,
// as the summary and detail of an error, or "" when nothing is.
type stringRule struct {
	description string
	check       func(value string) (summary, detail string)
}

var _ validator.String = stringRule{}

func (r stringRule) Description(context.Context) string         { return r.description }
func (r stringRule) MarkdownDescription(context.Context) string { return r.description }

func (r stringRule) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if summary, detail := r.check(req.ConfigValue.ValueString()); summary != "" {
		resp.Diagnostics.AddAttributeError(req.Path, summary, detail)
	}
}

// validTagName refuses, at plan time, a name WeChat would refuse at apply.
var validTagName = stringRule{
	description: fmt.Sprintf("must be 1 to %d bytes of UTF-8, without surrounding white space or control characters", wechat.MaxTagNameBytes),
	check: func(name string) (string, string) {
		switch {
		case strings.TrimSpace(name) == "":
			return "Empty tag name", fmt.Sprintf("The tag name %q is empty or only white space. Give the tag a name of 1 to 30 bytes of UTF-8.", name)
		case strings.TrimSpace(name) != name:
			// WeChat does not document what it does with such names; if it trimmed them,
			// every plan would try to rename the tag back. Refusing them is the safe choice.
			return "Tag name with surrounding white space",
				fmt.Sprintf("The tag name %q starts or ends with white space. Remove it: use %q.", name, strings.TrimSpace(name))
		case strings.ContainsFunc(name, unicode.IsControl):
			return "Control character in tag name",
				fmt.Sprintf("The tag name %q holds a control character (such as a tab or a line break), which WeChat refuses. Remove it.", name)
		case len(name) > wechat.MaxTagNameBytes:
			return "Tag name too long", fmt.Sprintf("The name %q is %d bytes of UTF-8, and WeChat allows at most %d bytes. "+
				"A Chinese character takes 3 bytes, so a name can have at most 10 of them. Shorten the name.",
				name, len(name), wechat.MaxTagNameBytes)
		}
		return "", ""
	},
}

// tagIDUse is what an attribute does with a tag id, which says why WeChat's system tags 0
// and 1 cannot serve.
type tagIDUse int

const (
	assignTag tagIDUse = iota
	lookUpTag
	listTagFollowers
)

// systemTagRefusal is how an attribute of a use refuses tag 0 or 1: the diagnostic's
// summary, why the tag cannot serve, and what to use instead.
type systemTagRefusal struct{ summary, reason, fix string }

var systemTagRefusals = map[tagIDUse]systemTagRefusal{
	assignTag:        {"System tag cannot be assigned", "which the tagging API cannot assign", "Use the id of a tag of the account, such as wechat_tag.<name>.id"},
	lookUpTag:        {"System tag cannot be looked up", "which tags/get does not list, so there is nothing to read", "Look up 2 for the starred tag, or the id of a tag of the account"},
	listTagFollowers: {"System tag cannot be listed", "whose followers user/tag/get cannot list", "Use 2 for the starred tag, or the id of a tag of the account, such as wechat_tag.<name>.id"},
}

// systemTagIDValidator refuses tag ids that cannot serve the attribute's use: negative
// ones, and the system tags 0 and 1.
type systemTagIDValidator struct{ use tagIDUse }

var _ validator.Int64 = systemTagIDValidator{}

func (systemTagIDValidator) Description(context.Context) string {
	return "must be the id of a tag of the account: 2 (starred) or a tag created on the account"
}

func (v systemTagIDValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v systemTagIDValidator) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	refusal := systemTagRefusals[v.use]
	switch id := req.ConfigValue.ValueInt64(); {
	case id < 0:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid tag id",
			fmt.Sprintf("Tag id %d is negative. %s.", id, refusal.fix))
	case id == wechat.TagUngrouped || id == wechat.TagBlacklist:
		resp.Diagnostics.AddAttributeError(req.Path, refusal.summary,
			fmt.Sprintf("Tag id %d is a WeChat system tag (0 means untagged, 1 is the blacklist), %s. %s.", id, refusal.reason, refusal.fix))
	}
}

// openIDPattern is the shape of the openids WeChat issues, 28 URL-safe characters such as
// ocYxcuAEy30bX0NXmGn4ypqx3tI0, with the length left loose because WeChat does not document
// it, while the character set catches spaces, quotes and pasted unionids with separators.
var openIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

var validOpenID = stringRule{
	description: "must be an openid: letters, digits, '-' and '_', such as ocYxcuAEy30bX0NXmGn4ypqx3tI0",
	check: func(openid string) (string, string) {
		if problem := openIDProblem(openid); problem != "" {
			return "Invalid openid", problem
		}
		return "", ""
	},
}

// openIDProblem says what is wrong with an openid, "" when nothing is.
func openIDProblem(openid string) string {
	if openIDPattern.MatchString(openid) {
		return ""
	}
	return fmt.Sprintf("%q is not shaped like a WeChat openid: 16 to 64 letters, digits, '-' or '_' (28 in the openids WeChat issues "+
		"today), such as ocYxcuAEy30bX0NXmGn4ypqx3tI0. Use the openid of a follower of this account, as WeChat sends it in "+
		"messages and events.", openid)
}

// validDuration refuses a request_timeout that is not a positive Go duration.
var validDuration = stringRule{
	description: "must be a positive Go duration, such as 30s or 1m",
	check: func(value string) (string, string) {
		if d, err := time.ParseDuration(value); err != nil || d <= 0 {
			return "Invalid duration", fmt.Sprintf("%q is not a positive duration. Write it as Go does, such as 30s, 1m or 1m30s.", value)
		}
		return "", ""
	},
}

// tagIDOf is the tag id of a tag_id the validators have found whole and within int64.
func tagIDOf(n types.Number) int64 {
	if n.IsNull() || n.IsUnknown() {
		return 0
	}
	id, _ := n.ValueBigFloat().Int64()
	return id
}

// wholeTagIDValidator refuses a tag_id that is no tag id: a fraction, a number beyond
// int64, or what systemTagIDValidator refuses for the use.
type wholeTagIDValidator struct{ use tagIDUse }

var _ validator.Number = wholeTagIDValidator{}

func (v wholeTagIDValidator) Description(ctx context.Context) string {
	return systemTagIDValidator(v).Description(ctx)
}

func (v wholeTagIDValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v wholeTagIDValidator) ValidateNumber(ctx context.Context, req validator.NumberRequest, resp *validator.NumberResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	n := req.ConfigValue.ValueBigFloat()
	id, accuracy := n.Int64()
	if !n.IsInt() || accuracy != big.Exact {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid tag id",
			fmt.Sprintf("%s is not a WeChat tag id, which is a whole number such as 134. "+
				"%s.", n.Text('f', -1), systemTagRefusals[v.use].fix))
		return
	}
	var idResp validator.Int64Response
	systemTagIDValidator(v).ValidateInt64(ctx, validator.Int64Request{
		Path: req.Path, PathExpression: req.PathExpression, Config: req.Config, ConfigValue: types.Int64Value(id),
	}, &idResp)
	resp.Diagnostics.Append(idResp.Diagnostics...)
}

// validCGIPath refuses, at plan time, what WeChat's getApiQuota would refuse as no API
// path, by the client's rule.
var validCGIPath = stringRule{
	description: "must be the path of an API, starting with /, such as /cgi-bin/tags/getidlist",
	check: func(value string) (string, string) {
		if err := wechat.ValidateCGIPath(value); err != nil {
			return "Invalid API path", "cgi_path: " + err.Error() + "."
		}
		return "", ""
	},
}
