package provider

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/wechat-tf/terraform-provider-wechat/internal/membership"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// Every diagnostic the provider makes of a WeChat failure, or of something a read did
// not find, comes from the table below: a condition, its summary, the attribute it is
// reported on and a detail that says what to do. A resource says what the failure was
// about (a subject) and lets conditionOf, or its own explicit look-up, name the condition.

// condition is a failure the provider can explain.
type condition int

const (
	unexplained condition = iota
	tagNotFound
	tagNameNotFound
	tagDeletedOutside
	notAFollower
	openIDOfAnotherApp
	followerTagLimit
	followerTagLimitOfMember
	followersRefusedUnexplained
	tagNameTaken
	tagNameRefused
	tagNameTooLong
	accountTagLimit
	systemTagUnchangeable
	tagHasTooManyFans
	appIDRefused
	appSecretRefused
	appSecretFrozen
	callerIPNotWhitelisted
	callerIPNeedsConfirmation
	apiUnauthorized
	otherAccount
	exclusiveRemovesTags
	exclusiveRemovesFollowers
	accountTagLimitPlanned
	accountTagLimitUncertain
	followersChangedInFile
	apiPathUnknown
	apiPathNotForAccountToken
)

// subject is what a failed call was about, and where the configuration sets it.
type subject struct {
	// failure is the summary of an error no row of the table explains, such as "Unable to
	// manage the tags of a follower"; about names the object, such as "Follower o123".
	failure, about string

	tagID   int64
	tagName string
	// existingTagID is the tag that already has tagName.
	existingTagID int64
	// openids are the followers at fault.
	openids []string
	// followerTags is how many tags a follower carries now and would carry after a change.
	followerTags, followerTagsAfter int
	// accountTags are the user tags the account has, plannedTags those the plan creates.
	accountTags, plannedTags int
	// added and removed name what an apply would add and remove that the plan does not
	// show.
	added, removed []string
	// callerIP is the IP WeChat saw the provider call from, when it names one.
	callerIP string
	// appID is the account the provider acts for; recordedAppID the one a resource was
	// created or imported under.
	appID, recordedAppID string

	// The attributes that set the tag, the followers and the name; empty where the
	// resource has none.
	tagAttr, openIDAttr, nameAttr path.Path

	// cgiPath is the API path whose quota was asked for, set by cgiPathAttr.
	cgiPath     string
	cgiPathAttr path.Path
}

// problem is a row of the table.
type problem struct {
	summary string
	// at picks the attribute of the subject the diagnostic is reported on.
	at     func(subject) path.Path
	detail func(subject) string
}

// maxNamedFollowers bounds the openids a message lists; it counts the rest.
const maxNamedFollowers = 20

// warnings are the conditions that warn of what an apply will do, rather than refuse it.
var warnings = map[condition]bool{
	exclusiveRemovesTags: true, exclusiveRemovesFollowers: true, accountTagLimitUncertain: true, followersChangedInFile: true,
}

func onTag(s subject) path.Path       { return s.tagAttr }
func onOpenIDs(s subject) path.Path   { return s.openIDAttr }
func onName(s subject) path.Path      { return s.nameAttr }
func onNothing(subject) path.Path     { return path.Empty() }
func onCGIPath(s subject) path.Path   { return s.cgiPathAttr }
func onTagsOrIDs(s subject) path.Path { return firstOf(s.tagAttr, s.openIDAttr) }

var problems = map[condition]problem{
	tagNotFound: {"Tag not found", onTag, func(s subject) string {
		return fmt.Sprintf("The account has no tag with id %d. Use the id of one of the account's tags, such as wechat_tag.<name>.id, "+
			"or 2 for the starred tag (data.wechat_tags lists them all); a tag deleted outside Terraform must be created again first.", s.tagID)
	}},
	tagNameNotFound: {"Tag not found", onName, func(s subject) string {
		return fmt.Sprintf("The account has no tag named %q. Names are matched exactly, character for character; "+
			"the tag may have been renamed or deleted outside Terraform. List every tag with data.wechat_tags.", s.tagName)
	}},
	tagDeletedOutside: {"Tag deleted outside Terraform", onNothing, func(s subject) string {
		return fmt.Sprintf("Tag %d no longer exists on the account; it was deleted outside Terraform. "+
			"Run terraform apply again: its refresh finds the tag gone and plans to create it anew.", s.tagID)
	}},
	notAFollower: {"Not a follower of this account", onOpenIDs, func(s subject) string {
		return fmt.Sprintf("WeChat does not know %s as a follower of this Official Account: the openid is wrong, "+
			"or the user no longer follows the account. Remove it from the configuration, or use the openid of a current follower.", quoteAll(s.openids))
	}},
	openIDOfAnotherApp: {"Openid of another account", onOpenIDs, func(s subject) string {
		return fmt.Sprintf("The openid %s belongs to another AppID than the one the provider is configured with. "+
			"Openids differ between accounts: either the provider has the credentials of another account (check app_id, "+
			"or %s), or the openid was copied from another account; use the openid this account received.", quoteAll(s.openids), EnvAppID)
	}},
	followerTagLimit: {"Too many tags for one follower", onTagsOrIDs, func(s subject) string {
		counts := ""
		if s.followerTagsAfter > 0 {
			counts = fmt.Sprintf(" carries %d tags and would carry %d after this change,", s.followerTags, s.followerTagsAfter)
		}
		return fmt.Sprintf("The follower %s%s more than the %d WeChat allows. Tags given to the follower outside Terraform count "+
			"towards the limit too. List fewer tags, or set exclusive = true to let Terraform remove the tags it does not list.",
			quoteAll(s.openids), counts, wechat.MaxTagsPerFollower)
	}},
	followerTagLimitOfMember: {"Too many tags for one follower", onOpenIDs, func(s subject) string {
		return fmt.Sprintf("The follower %s already carries %d tags, the most WeChat allows, so it cannot be given tag %d. "+
			"Take a tag it no longer needs from it, or remove it from openids.", quoteAll(s.openids), wechat.MaxTagsPerFollower, s.tagID)
	}},
	followersRefusedUnexplained: {"WeChat refused some followers", onOpenIDs, func(s subject) string {
		return fmt.Sprintf("Changing tag %d for the followers %s failed, and looking them up one by one found no culprit "+
			"(a follower may have followed again, or a tag been taken meanwhile). Run terraform apply again.", s.tagID, quoteAll(s.openids))
	}},
	tagNameTaken: {"Tag name already in use", onName, func(s subject) string {
		return fmt.Sprintf("The account already has a tag named %q, with id %d; WeChat tag names are unique within an account. "+
			"To manage that tag with Terraform, import it instead of creating it:\n\n"+
			"  terraform import wechat_tag.<name> %d\n\n"+
			"or, with Terraform 1.5 or later, an import block:\n\n"+
			"  import {\n    to = wechat_tag.<name>\n    id = \"%d\"\n  }\n\n"+
			"If another resource of this configuration manages that tag and gives it up in this apply (a rename or a destroy), "+
			"apply that change first, or use a moved block when only the resource's address changed. "+
			"Otherwise choose another name.", s.tagName, s.existingTagID, s.existingTagID, s.existingTagID)
	}},
	tagNameRefused: {"Tag name refused", onName, func(s subject) string {
		return fmt.Sprintf("WeChat refused the tag name %q as illegal. Use another name.", s.tagName)
	}},
	tagNameTooLong: {"Tag name too long", onName, func(s subject) string {
		return fmt.Sprintf("The name %q is %d bytes of UTF-8, and WeChat allows at most %d bytes. "+
			"A Chinese character takes 3 bytes, so a name can have at most 10 of them. Shorten the name.",
			s.tagName, len(s.tagName), wechat.MaxTagNameBytes)
	}},
	accountTagLimit: {"Tag limit reached", onNothing, func(subject) string {
		return "The account already has 100 tags, the most WeChat allows. " +
			"Delete tags the account no longer uses, or remove this wechat_tag from the configuration."
	}},
	accountTagLimitPlanned: {"Tag limit reached", onName, func(s subject) string {
		return fmt.Sprintf("The account has %d user tags and this plan creates %d more, among them %q: %d, more than the %d WeChat allows. "+
			"Create fewer tags, or delete tags the account no longer uses first. A wechat_tag this plan destroys frees its place only once "+
			"deleted, which may come after the creations: apply the removals first, for example with terraform apply -target.",
			s.accountTags, s.plannedTags, s.tagName, s.accountTags+s.plannedTags, wechat.MaxTagsPerAccount)
	}},
	accountTagLimitUncertain: {"Tag limit may be reached", onName, func(s subject) string {
		return fmt.Sprintf("The account has %d user tags and this plan creates %d more, among them %q: %d of the %d WeChat allows. "+
			"WeChat does not say whether its 3 system tags count towards the limit; if they do, a creation fails at apply with 45056. "+
			"Delete tags the account no longer uses first to be sure.",
			s.accountTags, s.plannedTags, s.tagName, s.accountTags+s.plannedTags, wechat.MaxTagsPerAccount)
	}},
	systemTagUnchangeable: {"System tag cannot be changed", onNothing, func(s subject) string {
		return fmt.Sprintf("Tag %d is a WeChat system tag, which cannot be renamed or deleted.", s.tagID)
	}},
	// The token errors are the provider configuration's, not the resource's: no attribute
	// of the resource is at fault, and the detail names the provider's.
	appIDRefused: {"WeChat refused the AppID", onNothing, func(subject) string {
		return fmt.Sprintf("The token endpoint does not know the AppID the provider gave it, or got none. Set app_id in the provider block, "+
			"or the %s environment variable, to the AppID of the Official Account (mp.weixin.qq.com, 设置与开发 → 基本配置).", EnvAppID)
	}},
	appSecretRefused: {"WeChat refused the AppSecret", onNothing, func(subject) string {
		return fmt.Sprintf("The AppSecret does not belong to the AppID, or none was given. Set app_secret in the provider block, or the %s "+
			"environment variable, to the account's current AppSecret (mp.weixin.qq.com, 设置与开发 → 基本配置). "+
			"A secret reset there replaces the old one for every server that uses it.", EnvAppSecret)
	}},
	appSecretFrozen: {"WeChat AppSecret frozen", onNothing, func(subject) string {
		return "The account's AppSecret is frozen, so no token can be issued with it. An administrator can unfreeze it, or reset it, " +
			"at mp.weixin.qq.com (设置与开发 → 基本配置); then give the provider the secret in effect."
	}},
	callerIPNotWhitelisted: {"Caller IP not on the WeChat whitelist", onNothing, func(s subject) string {
		ip := "this machine's IP"
		if s.callerIP != "" {
			ip = "the IP " + s.callerIP
		}
		return fmt.Sprintf("WeChat issues tokens only to IPs on the account's API IP whitelist, and %s is not on it. Add it at mp.weixin.qq.com, "+
			"设置与开发 → 基本配置 → IP白名单; an entry takes about 5 minutes to apply. Hosted CI runners change IP on every run: give them "+
			"a fixed egress IP, or fetch the token on a whitelisted server and pass it to the provider as access_token (or %s).", ip, EnvAccessToken)
	}},
	callerIPNeedsConfirmation: {"WeChat wants an administrator to confirm this IP", onNothing, func(subject) string {
		return fmt.Sprintf("WeChat wants an administrator of the account to confirm token requests from this IP. "+
			"An administrator confirms them where WeChat asks, or add the IP to the API IP whitelist "+
			"(mp.weixin.qq.com, 设置与开发 → 基本配置 → IP白名单); or pass a token obtained on a whitelisted server as access_token (or %s).", EnvAccessToken)
	}},
	apiUnauthorized: {"API not authorized for this account", onNothing, func(subject) string {
		return "WeChat does not let this account call the API. The user tag API needs a verified Official Account (微信认证), " +
			"and verification lapses every year; a third-party platform needs the user-management permission set in the account's " +
			"authorization. Verify the account, or renew its verification or authorization, then run Terraform again."
	}},
	otherAccount: {"Credentials of another account", onNothing, func(s subject) string {
		return fmt.Sprintf("This resource was created or imported under the Official Account with AppID %s, but the provider has the "+
			"credentials of AppID %s. Under that account the resource's objects look deleted, and reading it would drop it from the state, "+
			"so the provider stops before any call and the state is left as it was. Give the provider the credentials of %s "+
			"(app_id and app_secret, or %s and %s; with access_token, the app_id that names its account). "+
			"To move the resource to the other account on purpose, remove it from the state (terraform state rm) and import it "+
			"under the new credentials.", s.recordedAppID, s.appID, s.recordedAppID, EnvAppID, EnvAppSecret)
	}},
	exclusiveRemovesTags: {"Exclusive removes tags the plan does not show", onTagsOrIDs, func(s subject) string {
		return fmt.Sprintf("With exclusive = true the apply takes from the follower %s every tag tag_ids does not list, and it carries %s, "+
			"which no earlier state managed: the plan cannot show them as removed, but the apply removes them. "+
			"To keep them, list them in tag_ids; to leave tags given outside Terraform alone, set exclusive = false.",
			quoteAll(s.openids), strings.Join(s.removed, ", "))
	}},
	exclusiveRemovesFollowers: {"Exclusive removes followers the plan does not show", onOpenIDs, func(s subject) string {
		named, more := s.openids, ""
		if len(named) > maxNamedFollowers {
			named, more = named[:maxNamedFollowers], fmt.Sprintf(" and %d more", len(s.openids)-maxNamedFollowers)
		}
		return fmt.Sprintf("With exclusive = true the apply takes tag %d from every follower openids does not list. These carry it, and no "+
			"earlier state managed them, so the plan cannot show them as removed, but the apply untags them: %s%s (%d in all). "+
			"To keep them, list them in openids; to leave followers tagged outside Terraform alone, set exclusive = false.",
			s.tagID, quoteAll(named), more, len(s.openids))
	}},
	followersChangedInFile: {"Followers the apply changes", onOpenIDs, func(s subject) string {
		var parts []string
		if len(s.added) > 0 {
			parts = append(parts, fmt.Sprintf("gives tag %d to %s", s.tagID, countAndName(s.added)))
		}
		if len(s.removed) > 0 {
			parts = append(parts, fmt.Sprintf("takes tag %d from %s", s.tagID, countAndName(s.removed)))
		}
		if len(parts) == 0 {
			return fmt.Sprintf("The apply changes no follower of tag %d: only the state's record of them.", s.tagID)
		}
		return "The apply " + strings.Join(parts, ", and ") + ". openids_file lists the followers, so the plan shows only " +
			"openids_sha256 and openids_count; these are the followers behind the change, whether the file changed or they " +
			"were tagged or untagged outside Terraform."
	}},
	apiPathUnknown: {"Unknown API path", onCGIPath, func(s subject) string {
		return fmt.Sprintf("WeChat knows no API at %q. Give the path of an API the account calls, as it appears in the API's URL "+
			"without host or query, such as /cgi-bin/tags/getidlist or /cgi-bin/tags/get.", s.cgiPath)
	}},
	apiPathNotForAccountToken: {"API not reported for this account's token", onCGIPath, func(s subject) string {
		return fmt.Sprintf("WeChat does not report the quota of %q with the account's access token: the API takes another kind of "+
			"token (the /sns/ APIs take a user's). Ask for an API the account calls with its own token, such as /cgi-bin/tags/getidlist.", s.cgiPath)
	}},
	tagHasTooManyFans: {"Tag has too many followers to delete", onNothing, func(s subject) string {
		return fmt.Sprintf("WeChat refuses to delete tag %d because more than 100,000 followers carry it. "+
			"Untag its followers first, then destroy again.", s.tagID)
	}},
}

// conditionOf names the condition of a failed call, as far as the error alone tells.
func conditionOf(err error) condition {
	var limitErr *membership.LimitError
	switch {
	case wechat.IsTagNotFound(err):
		return tagNotFound
	case errors.As(err, &limitErr), wechat.HasCode(err, wechat.CodeUserTagLimitReached):
		return followerTagLimit
	case wechat.IsUnknownFollower(err):
		return notAFollower
	case wechat.IsOpenIDOfAnotherApp(err):
		return openIDOfAnotherApp
	case wechat.HasCode(err, wechat.CodeIllegalTagName):
		return tagNameRefused
	case wechat.HasCode(err, wechat.CodeTagNameTooLong):
		return tagNameTooLong
	case wechat.HasCode(err, wechat.CodeTagLimitReached):
		return accountTagLimit
	case wechat.HasCode(err, wechat.CodeSystemTag):
		return systemTagUnchangeable
	case wechat.HasCode(err, wechat.CodeTagHasTooManyFans):
		return tagHasTooManyFans
	case wechat.HasCode(err, wechat.CodeInvalidAppID, wechat.CodeAppIDMissing):
		return appIDRefused
	case wechat.HasCode(err, wechat.CodeInvalidAppSecret, wechat.CodeAppSecretMissing):
		return appSecretRefused
	case wechat.HasCode(err, wechat.CodeAppSecretFrozen):
		return appSecretFrozen
	case wechat.HasCode(err, wechat.CodeIPNotWhitelisted):
		return callerIPNotWhitelisted
	case wechat.HasCode(err, wechat.CodesIPNeedsConfirmation...):
		return callerIPNeedsConfirmation
	case wechat.HasCode(err, wechat.CodeAPIUnauthorized):
		return apiUnauthorized
	case wechat.HasCode(err, wechat.CodeCGIPathNotFound, wechat.CodeMalformedCGIPath):
		return apiPathUnknown
	case wechat.HasCode(err, wechat.CodeCGIPathNotForToken):
		return apiPathNotForAccountToken
	}
	return unexplained
}

// diagnose is the diagnostic of condition c about s; err, when given, is quoted after the
// fix, for its errcode and rid.
func diagnose(c condition, s subject, err error) diag.Diagnostic {
	p, ok := problems[c]
	if !ok {
		return diag.NewErrorDiagnostic(s.failure, fmt.Sprintf("%s: %s", s.about, err))
	}
	if s.callerIP == "" {
		s.callerIP = wechat.WhitelistIP(err)
	}
	detail := p.detail(s)
	if err != nil {
		detail += " (" + err.Error() + ")"
	}
	at := p.at(s)
	switch {
	case warnings[c] && len(at.Steps()) > 0:
		return diag.NewAttributeWarningDiagnostic(at, p.summary, detail)
	case warnings[c]:
		return diag.NewWarningDiagnostic(p.summary, detail)
	case len(at.Steps()) > 0:
		return diag.NewAttributeErrorDiagnostic(at, p.summary, detail)
	}
	return diag.NewErrorDiagnostic(p.summary, detail)
}

// report adds the diagnostic of a failed call about s.
func report(diags *diag.Diagnostics, s subject, err error) {
	diags.Append(diagnose(conditionOf(err), s, err))
}

func firstOf(paths ...path.Path) path.Path {
	for _, p := range paths {
		if len(p.Steps()) > 0 {
			return p
		}
	}
	return path.Empty()
}

// countAndName is "3 followers: "o1", "o2", "o3"", naming at most maxNamedFollowers.
func countAndName(openids []string) string {
	named, more := openids, ""
	if len(named) > maxNamedFollowers {
		named, more = named[:maxNamedFollowers], fmt.Sprintf(" and %d more", len(openids)-maxNamedFollowers)
	}
	noun := "followers"
	if len(openids) == 1 {
		noun = "follower"
	}
	return fmt.Sprintf("%d %s: %s%s", len(openids), noun, quoteAll(named), more)
}

// quoteAll lists openids for a message, quoted as the configuration writes them.
func quoteAll(openids []string) string {
	quoted := make([]string, len(openids))
	for i, openid := range openids {
		quoted[i] = strconv.Quote(openid)
	}
	return strings.Join(quoted, ", ")
}
