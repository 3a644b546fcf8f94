package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/wechat-tf/terraform-provider-wechat/internal/membership"
	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// Every diagnostic the provider makes of a WeChat failure, of something a read did not
// find, or of a risk a plan cannot show, comes from a condition below: one structure per
// condition with its summary, whether it only warns, the attribute it is reported on, the
// detail that says what to do and, for a failure of WeChat's, how to recognise it. A
// resource says what the failure was about (a subject), and the facts a condition of its
// own needs.

// condition is a failure or a risk the provider can explain. F is the facts its detail
// needs beyond the subject; none for most.
type condition[F any] struct {
	summary string
	// warning: the diagnostic warns of what an apply will do, rather than refuse it.
	warning bool
	// at picks the attribute of the subject the diagnostic is reported on.
	at     func(subject) path.Path
	detail func(s subject, facts F) string
}

// none is the facts of a condition that needs none.
type none struct{}

// subject is what a failed call or a checked change was about, and where the
// configuration sets it.
type subject struct {
	// failure is the summary of an error no condition explains, such as "Unable to manage
	// the tags of a follower"; about names the object, such as "Follower o123".
	failure, about string

	tagID   int64
	tagName string
	// openids are the followers at fault.
	openids []string
	// cgiPath is the API path whose quota was asked for.
	cgiPath string

	// where are the attributes that set the tag, the followers, the name and the API
	// path; empty where the configuration has none.
	where attributes
}

type attributes struct {
	tag, openids, name, cgiPath path.Path
}

// diagnostic is the diagnostic of c about s; err, when given, is quoted after the fix, for
// its errcode and rid.
func (c *condition[F]) diagnostic(s subject, facts F, err error) diag.Diagnostic {
	detail := c.detail(s, facts)
	if err != nil {
		detail += " (" + err.Error() + ")"
	}
	at := c.at(s)
	switch {
	case c.warning && len(at.Steps()) > 0:
		return diag.NewAttributeWarningDiagnostic(at, c.summary, detail)
	case c.warning:
		return diag.NewWarningDiagnostic(c.summary, detail)
	case len(at.Steps()) > 0:
		return diag.NewAttributeErrorDiagnostic(at, c.summary, detail)
	}
	return diag.NewErrorDiagnostic(c.summary, detail)
}

// failureCondition is a condition a failed call of WeChat's can be, whose facts are the
// error itself.
type failureCondition struct {
	*condition[error]
	is func(error) bool
}

// recognised are the failures of WeChat's the provider explains, in the order they are
// tried.
var recognised = []failureCondition{
	{interrupted, func(err error) bool { return errors.Is(err, context.Canceled) }},
	{followersRecordLost, func(err error) bool { return errors.As(err, new(*lostRecordError)) }},
	{tagNotFound, wechat.IsTagNotFound},
	{followerTagLimit, func(err error) bool {
		return errors.As(err, new(*membership.LimitError)) || wechat.HasCode(err, wechat.CodeUserTagLimitReached)
	}},
	{notAFollower, wechat.IsUnknownFollower},
	{openIDOfAnotherApp, wechat.IsOpenIDOfAnotherApp},
	{tagNameRefused, hasCode(wechat.CodeIllegalTagName)},
	{tagNameTooLong, hasCode(wechat.CodeTagNameTooLong)},
	{accountTagLimit, hasCode(wechat.CodeTagLimitReached)},
	{systemTagUnchangeable, hasCode(wechat.CodeSystemTag)},
	{tagHasTooManyFans, hasCode(wechat.CodeTagHasTooManyFans)},
	{appIDRefused, hasCode(wechat.CodeInvalidAppID, wechat.CodeAppIDMissing)},
	{appSecretRefused, hasCode(wechat.CodeInvalidAppSecret, wechat.CodeAppSecretMissing)},
	{appSecretFrozen, hasCode(wechat.CodeAppSecretFrozen)},
	{callerIPNotWhitelisted, hasCode(wechat.CodeIPNotWhitelisted)},
	{callerIPNeedsConfirmation, hasCode(wechat.CodesIPNeedsConfirmation...)},
	{apiUnauthorized, hasCode(wechat.CodeAPIUnauthorized)},
	{apiPathUnknown, hasCode(wechat.CodeCGIPathNotFound, wechat.CodeMalformedCGIPath)},
	{apiPathNotForAccountToken, hasCode(wechat.CodeCGIPathNotForToken)},
}

func hasCode(codes ...int) func(error) bool {
	return func(err error) bool { return wechat.HasCode(err, codes...) }
}

// conditionOf is the condition of a failed call, as far as the error alone tells; nil when
// none explains it.
func conditionOf(err error) *condition[error] {
	for _, r := range recognised {
		if r.is(err) {
			return r.condition
		}
	}
	return nil
}

// report adds the diagnostic of a failed call about s.
func report(diags *diag.Diagnostics, s subject, err error) {
	diags.Append(explained(conditionOf(err), s, err))
}

// explained is the diagnostic of err, a failure of condition c about s; an error no
// condition explains is reported as it is, under the subject's failure.
func explained(c *condition[error], s subject, err error) diag.Diagnostic {
	if c == nil {
		return diag.NewErrorDiagnostic(s.failure, fmt.Sprintf("%s: %s", s.about, err))
	}
	return c.diagnostic(s, err, err)
}

// maxNamedFollowers bounds the openids a message lists; it counts the rest.
const maxNamedFollowers = 20

func onTag(s subject) path.Path       { return s.where.tag }
func onOpenIDs(s subject) path.Path   { return s.where.openids }
func onName(s subject) path.Path      { return s.where.name }
func onNothing(subject) path.Path     { return path.Empty() }
func onCGIPath(s subject) path.Path   { return s.where.cgiPath }
func onTagsOrIDs(s subject) path.Path { return firstOf(s.where.tag, s.where.openids) }

// Failures of WeChat's, and what a read did not find.
var (
	interrupted = &condition[error]{summary: "Interrupted", at: onNothing, detail: func(s subject, _ error) string {
		return fmt.Sprintf("%s: Terraform was interrupted (Ctrl-C) while the provider was changing WeChat, and the provider stopped "+
			"before its next call. The state records what is known to be applied; a resource being created records nothing. "+
			"Run terraform apply again: it reads the account anew and makes only the changes still missing.", s.about)
	}}
	tagNotFound = &condition[error]{summary: "Tag not found", at: onTag, detail: func(s subject, _ error) string {
		return fmt.Sprintf("The account has no tag with id %d. Use the id of one of the account's tags, such as wechat_tag.<name>.id, "+
			"or 2 for the starred tag (data.wechat_tags lists them all); a tag deleted outside Terraform must be created again first.", s.tagID)
	}}
	tagNameNotFound = &condition[none]{summary: "Tag not found", at: onName, detail: func(s subject, _ none) string {
		return fmt.Sprintf("The account has no tag named %q. Names are matched exactly, character for character; "+
			"the tag may have been renamed or deleted outside Terraform. List every tag with data.wechat_tags.", s.tagName)
	}}
	tagDeletedOutside = &condition[error]{summary: "Tag deleted outside Terraform", at: onNothing, detail: func(s subject, _ error) string {
		return fmt.Sprintf("Tag %d no longer exists on the account; it was deleted outside Terraform. "+
			"Run terraform apply again: its refresh finds the tag gone and plans to create it anew.", s.tagID)
	}}
	notAFollower = &condition[error]{summary: "Not a follower of this account", at: onOpenIDs, detail: func(s subject, _ error) string {
		return fmt.Sprintf("WeChat does not know %s as a follower of this Official Account: the openid is wrong, "+
			"or the user no longer follows the account. Remove it from the configuration, or use the openid of a current follower.", quoteSome(s.openids))
	}}
	openIDOfAnotherApp = &condition[error]{summary: "Openid of another account", at: onOpenIDs, detail: func(s subject, _ error) string {
		return fmt.Sprintf("The openid %s belongs to another AppID than the one the provider is configured with. "+
			"Openids differ between accounts: either the provider has the credentials of another account (check app_id, "+
			"or %s), or the openid was copied from another account; use the openid this account received.", quoteSome(s.openids), EnvAppID)
	}}
	followerTagLimit = &condition[error]{summary: "Too many tags for one follower", at: onTagsOrIDs, detail: func(s subject, err error) string {
		counts := ""
		if limitErr := (*membership.LimitError)(nil); errors.As(err, &limitErr) {
			counts = fmt.Sprintf(" carries %d tags and would carry %d after this change,", limitErr.Held, limitErr.After)
		}
		return fmt.Sprintf("The follower %s%s more than the %d WeChat allows. Tags given to the follower outside Terraform count "+
			"towards the limit too. List fewer tags, or set exclusive = true to let Terraform remove the tags it does not list.",
			quoteAll(s.openids), counts, wechat.MaxTagsPerFollower)
	}}
	followerTagLimitOfMember = &condition[error]{summary: "Too many tags for one follower", at: onOpenIDs, detail: func(s subject, _ error) string {
		return fmt.Sprintf("The follower %s already carries %d tags, the most WeChat allows, so it cannot be given tag %d. "+
			"Take a tag it no longer needs from it, or remove it from openids.", quoteSome(s.openids), wechat.MaxTagsPerFollower, s.tagID)
	}}
	followersRefusedUnexplained = &condition[error]{summary: "WeChat refused some followers", at: onOpenIDs, detail: func(s subject, _ error) string {
		return fmt.Sprintf("Changing tag %d for the followers %s failed, and looking them up one by one found no culprit "+
			"(a follower may have followed again, or a tag been taken meanwhile). Run terraform apply again.", s.tagID, quoteAll(s.openids))
	}}
	tagNameRefused = &condition[error]{summary: "Tag name refused", at: onName, detail: func(s subject, _ error) string {
		return fmt.Sprintf("WeChat refused the tag name %q as illegal. Use another name.", s.tagName)
	}}
	tagNameTooLong = &condition[error]{summary: "Tag name too long", at: onName, detail: func(s subject, _ error) string {
		return fmt.Sprintf("The name %q is %d bytes of UTF-8, and WeChat allows at most %d bytes. "+
			"A Chinese character takes 3 bytes, so a name can have at most 10 of them. Shorten the name.",
			s.tagName, len(s.tagName), wechat.MaxTagNameBytes)
	}}
	accountTagLimit = &condition[error]{summary: "Tag limit reached", at: onNothing, detail: func(subject, error) string {
		return fmt.Sprintf("WeChat refused to create the tag: the account has as many tags as it allows, %d. WeChat does not say "+
			"whether its %d system tags count towards the limit; when they do, %d tags of the account's own fill it. "+
			"Delete tags the account no longer uses, or remove this wechat_tag from the configuration.",
			wechat.MaxTagsPerAccount, systemTags, wechat.MaxTagsPerAccount-systemTags)
	}}
	systemTagUnchangeable = &condition[error]{summary: "System tag cannot be changed", at: onNothing, detail: func(s subject, _ error) string {
		return fmt.Sprintf("Tag %d is a WeChat system tag, which cannot be renamed or deleted.", s.tagID)
	}}
	tagHasTooManyFans = &condition[error]{summary: "Tag has too many followers to delete", at: onNothing, detail: func(s subject, _ error) string {
		return fmt.Sprintf("WeChat refuses to delete tag %d because more than 100,000 followers carry it. "+
			"Untag its followers first, then destroy again.", s.tagID)
	}}
	apiPathUnknown = &condition[error]{summary: "Unknown API path", at: onCGIPath, detail: func(s subject, _ error) string {
		return fmt.Sprintf("WeChat knows no API at %q. Give the path of an API the account calls, as it appears in the API's URL "+
			"without host or query, such as /cgi-bin/tags/getidlist or /cgi-bin/tags/get.", s.cgiPath)
	}}
	apiPathNotForAccountToken = &condition[error]{summary: "API not reported for this account's token", at: onCGIPath, detail: func(s subject, _ error) string {
		return fmt.Sprintf("WeChat does not report the quota of %q with the account's access token: the API takes another kind of "+
			"token (the /sns/ APIs take a user's). Ask for an API the account calls with its own token, such as /cgi-bin/tags/getidlist.", s.cgiPath)
	}}
)

// Token errors are the provider configuration's, not the resource's: no attribute of the
// resource is at fault, and the detail names the provider's.
var (
	appIDRefused = &condition[error]{summary: "WeChat refused the AppID", at: onNothing, detail: func(subject, error) string {
		return fmt.Sprintf("The token endpoint does not know the AppID the provider gave it, or got none. Set app_id in the provider block, "+
			"or the %s environment variable, to the AppID of the Official Account (mp.weixin.qq.com, 设置与开发 → 基本配置).", EnvAppID)
	}}
	appSecretRefused = &condition[error]{summary: "WeChat refused the AppSecret", at: onNothing, detail: func(subject, error) string {
		return fmt.Sprintf("The AppSecret does not belong to the AppID, or none was given. Set app_secret in the provider block, or the %s "+
			"environment variable, to the account's current AppSecret (mp.weixin.qq.com, 设置与开发 → 基本配置). "+
			"A secret reset there replaces the old one for every server that uses it.", EnvAppSecret)
	}}
	appSecretFrozen = &condition[error]{summary: "WeChat AppSecret frozen", at: onNothing, detail: func(subject, error) string {
		return "The account's AppSecret is frozen, so no token can be issued with it. An administrator can unfreeze it, or reset it, " +
			"at mp.weixin.qq.com (设置与开发 → 基本配置); then give the provider the secret in effect."
	}}
	callerIPNotWhitelisted = &condition[error]{summary: "Caller IP not on the WeChat whitelist", at: onNothing, detail: func(_ subject, err error) string {
		ip := "this machine's IP"
		if named := wechat.WhitelistIP(err); named != "" {
			ip = "the IP " + named
		}
		return fmt.Sprintf("WeChat issues tokens only to IPs on the account's API IP whitelist, and %s is not on it. Add it at mp.weixin.qq.com, "+
			"设置与开发 → 基本配置 → IP白名单; an entry takes about 5 minutes to apply. Hosted CI runners change IP on every run: give them "+
			"a fixed egress IP, or fetch the token on a whitelisted server and pass it to the provider as access_token (or %s).", ip, EnvAccessToken)
	}}
	callerIPNeedsConfirmation = &condition[error]{summary: "WeChat wants an administrator to confirm this IP", at: onNothing, detail: func(subject, error) string {
		return fmt.Sprintf("WeChat wants an administrator of the account to confirm token requests from this IP. "+
			"An administrator confirms them where WeChat asks, or add the IP to the API IP whitelist "+
			"(mp.weixin.qq.com, 设置与开发 → 基本配置 → IP白名单); or pass a token obtained on a whitelisted server as access_token (or %s).", EnvAccessToken)
	}}
	apiUnauthorized = &condition[error]{summary: "API not authorized for this account", at: onNothing, detail: func(subject, error) string {
		return "WeChat does not let this account call the API. The user tag API needs a verified Official Account (微信认证), " +
			"and verification lapses every year; a third-party platform needs the user-management permission set in the account's " +
			"authorization. Verify the account, or renew its verification or authorization, then run Terraform again."
	}}
)

// accounts are the account the provider acts for ("" when it cannot name it) and the one
// a resource was created or imported under.
type accounts struct {
	provider, recorded string
}

// The account guard and the private records (records.go).
var (
	otherAccount = &condition[accounts]{summary: "Credentials of another account", at: onNothing, detail: func(_ subject, a accounts) string {
		return fmt.Sprintf("This resource was created or imported under the Official Account with AppID %s, but the provider has the "+
			"credentials of AppID %s. Under that account the resource's objects look deleted, and reading it would drop it from the state, "+
			"so the provider stops before any call and the state is left as it was. Give the provider the credentials of %s "+
			"(app_id and app_secret, or %s and %s; with access_token, the app_id that names its account). "+
			"To move the resource to the other account on purpose, remove it from the state (terraform state rm) and import it "+
			"under the new credentials.", a.recorded, a.provider, a.recorded, EnvAppID, EnvAppSecret)
	}}
	unnamedAccount = &condition[accounts]{summary: "Account of the access token unknown", at: onNothing, detail: func(_ subject, a accounts) string {
		return fmt.Sprintf("This resource was created or imported under the Official Account with AppID %s, but the provider has an "+
			"access_token and no app_id, so it cannot tell whether the token is that account's. Under another account the resource's "+
			"objects look deleted, and tag ids are numbers every account reuses, so reading or changing the resource could drop it "+
			"from the state or change another account's tag: the provider stops before any call and the state is left as it was. "+
			"Set app_id = %q in the provider block beside access_token (or %s beside %s), as long as the token is that account's.",
			a.recorded, a.recorded, EnvAppID, EnvAccessToken)
	}}
	damagedAccountRecord = &condition[error]{summary: "Damaged record of the account", at: onNothing, detail: func(subject, error) string {
		return "The private state of this resource, where the provider records the AppID of the account the resource was created " +
			"or imported under, does not parse: it was edited outside Terraform. Without it the provider cannot tell that the " +
			"credentials are that account's, so it stops before any call and the state is left as it was. Remove the resource " +
			"from the state (terraform state rm) and import it again."
	}}
	followersRecordLost = &condition[error]{summary: "Record of the managed followers lost", at: onOpenIDs, detail: func(subject, error) string {
		return "With openids_file, the provider keeps the list of the followers the resource manages in its private state, " +
			"which Terraform stores with the state, and checks it against openids_count and openids_sha256. That record is " +
			"missing or damaged, as after the state was edited outside Terraform, so the provider cannot tell which followers " +
			"to keep or untag, and stops; nothing was changed. To recover, make openids_file list exactly the followers the " +
			"state manages (those of its openids_sha256) and run the command again, which rebuilds the record; with " +
			"exclusive = true, terraform apply -refresh-only rebuilds it from the tag's followers. Or remove the resource from " +
			"the state (terraform state rm) and import it again."
	}}
)

// What a plan checks before the apply meets it.
var (
	tagNameTaken = &condition[int64]{summary: "Tag name already in use", at: onName, detail: func(s subject, existingID int64) string {
		return fmt.Sprintf("The account already has a tag named %q, with id %d; WeChat tag names are unique within an account. "+
			"To manage that tag with Terraform, import it instead of creating it:\n\n"+
			"  terraform import wechat_tag.<name> %d\n\n"+
			"or, with Terraform 1.5 or later, an import block:\n\n"+
			"  import {\n    to = wechat_tag.<name>\n    id = \"%d\"\n  }\n\n"+
			"If another resource of this configuration manages that tag and gives it up in this apply (a rename or a destroy), "+
			"apply that change first, or use a moved block when only the resource's address changed. "+
			"Otherwise choose another name.", s.tagName, existingID, existingID, existingID)
	}}
	// The tag limit's messages say the same whatever the order Terraform plans the tags
	// in: what one tag's plan sees of the others depends on it.
	accountTagLimitPlanned = &condition[accountRoom]{summary: "Tag limit reached", at: onName, detail: func(s subject, room accountRoom) string {
		return fmt.Sprintf("The account has %d user tags, room for %d more under the %d WeChat allows, and this plan creates more "+
			"than that, among them %q. Create fewer tags, or delete tags the account no longer uses first.",
			room.existing, max(wechat.MaxTagsPerAccount-room.existing, 0), wechat.MaxTagsPerAccount, s.tagName)
	}}
	accountTagLimitAfterDestroys = &condition[accountRoom]{summary: "Tag limit reached until this plan's destructions", warning: true, at: onName,
		detail: func(s subject, room accountRoom) string {
			return fmt.Sprintf("The account has %d user tags, room for %d more under the %d WeChat allows, and this plan creates more than "+
				"that, among them %q, while it destroys other wechat_tag resources: the creations fit once those are deleted. "+
				"The apply orders them: a creation WeChat refuses for the limit (45056) while a deletion of the same apply is under "+
				"way waits for it, and tries again.",
				room.existing, max(wechat.MaxTagsPerAccount-room.existing, 0), wechat.MaxTagsPerAccount, s.tagName)
		}}
	accountTagLimitUncertain = &condition[accountRoom]{summary: "Tag limit may be reached", warning: true, at: onName, detail: func(s subject, room accountRoom) string {
		return fmt.Sprintf("The account has %d user tags, and with the tags this plan creates, among them %q, it would have more than %d, "+
			"which leaves no place for WeChat's %d system tags. WeChat does not say whether those count towards its limit of %d; "+
			"if they do, a creation fails at apply with 45056. Delete tags the account no longer uses first to be sure.",
			room.existing, s.tagName, wechat.MaxTagsPerAccount-systemTags, systemTags, wechat.MaxTagsPerAccount)
	}}
	followerTagLimitUnknown = &condition[tagsCarried]{summary: "Follower may carry too many tags", warning: true, at: onTagsOrIDs,
		detail: func(s subject, c tagsCarried) string {
			return fmt.Sprintf("The follower %s carries %d tags: %s. tag_ids gives it %d more whose ids are known only after apply, such as "+
				"those of wechat_tag resources this plan creates: unless some are tags it carries already, it would carry %d, more than "+
				"the %d WeChat allows, and the apply would fail on this follower after creating them. List fewer tags, take tags it "+
				"no longer needs from it, or set exclusive = true to let Terraform remove the tags tag_ids does not list.",
				quoteAll(s.openids), len(c.labels), strings.Join(c.labels, ", "), c.unknown, c.most, wechat.MaxTagsPerFollower)
		}}
	exclusiveRemovesTags = &condition[[]string]{summary: "Exclusive removes tags the plan does not show", warning: true, at: onTagsOrIDs,
		detail: func(s subject, removed []string) string {
			return fmt.Sprintf("With exclusive = true the apply takes from the follower %s every tag tag_ids does not list, and it carries %s, "+
				"which no earlier state managed: the plan cannot show them as removed, but the apply removes them. "+
				"To keep them, list them in tag_ids; to leave tags given outside Terraform alone, set exclusive = false.",
				quoteAll(s.openids), strings.Join(removed, ", "))
		}}
	exclusiveRemovesFollowers = &condition[none]{summary: "Exclusive removes followers the plan does not show", warning: true, at: onOpenIDs,
		detail: func(s subject, _ none) string {
			named, more := s.openids, ""
			if len(named) > maxNamedFollowers {
				named, more = named[:maxNamedFollowers], fmt.Sprintf(" and %d more", len(s.openids)-maxNamedFollowers)
			}
			return fmt.Sprintf("With exclusive = true the apply takes tag %d from every follower openids does not list. These carry it, and no "+
				"earlier state managed them, so the plan cannot show them as removed, but the apply untags them: %s%s (%d in all). "+
				"To keep them, list them in openids; to leave followers tagged outside Terraform alone, set exclusive = false.",
				s.tagID, quoteAll(named), more, len(s.openids))
		}}
	followersChangedInFile = &condition[membership.Changes[string]]{summary: "Followers the apply changes", warning: true, at: onOpenIDs,
		detail: func(s subject, changes membership.Changes[string]) string {
			var parts []string
			if len(changes.Add) > 0 {
				parts = append(parts, fmt.Sprintf("gives tag %d to %s", s.tagID, countAndName(changes.Add)))
			}
			if len(changes.Remove) > 0 {
				parts = append(parts, fmt.Sprintf("takes tag %d from %s", s.tagID, countAndName(changes.Remove)))
			}
			if len(parts) == 0 {
				return fmt.Sprintf("The apply changes no follower of tag %d: only the state's record of them.", s.tagID)
			}
			return "The apply " + strings.Join(parts, ", and ") + ". openids_file lists the followers, so the plan shows only " +
				"openids_sha256 and openids_count; these are the followers behind the change, whether the file changed or they " +
				"were tagged or untagged outside Terraform."
		}}
)

// What a query writes: the files of the followers of the tags it adopts with
// openids_file (openids_file.go).
var (
	adoptedFileTaken = &condition[adoptedFile]{summary: "File of followers already there", at: onNothing, detail: func(s subject, f adoptedFile) string {
		listed := fmt.Sprintf("lists %d followers, not the %d", f.listed, f.followers)
		if f.unreadable {
			listed = fmt.Sprintf("is not a list of openids, such as the %d", f.followers)
		}
		return fmt.Sprintf("The query writes the followers of tag %q (id %d) to %s, for the generated configuration to name in "+
			"openids_file, and that file is there already and %s who carry the tag now. The query never overwrites a file: it "+
			"leaves one that lists the same followers, as when it runs again, and stops at any other. Remove %s, or move it "+
			"away if the configuration uses it, and run the query again.", s.tagName, s.tagID, f.name, listed, f.name)
	}}
	adoptedFileUnwritable = &condition[adoptedFile]{summary: "Unable to write an openids file", at: onNothing, detail: func(s subject, f adoptedFile) string {
		return fmt.Sprintf("The query writes the followers of tag %q (id %d), %d of them, to %s, relative to the directory "+
			"Terraform runs in, for the generated configuration to name in openids_file, and could not. Run the query in a "+
			"configuration directory Terraform may write to.", s.tagName, s.tagID, f.followers, f.name)
	}}
)

// adoptedFile is the file of the followers of a tag a query adopts: its name, how many
// followers carry the tag, and, for a file that is there already, how many it lists, or
// that it is no list of openids.
type adoptedFile struct {
	name              string
	followers, listed int
	unreadable        bool
}

// tagsCarried are the tags a follower carries, and the most it would carry after a change
// whose unknown tag ids are all new to it.
type tagsCarried struct {
	labels        []string
	most, unknown int
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

// quoteSome is quoteAll of at most maxNamedFollowers openids, counting the rest.
func quoteSome(openids []string) string {
	if len(openids) <= maxNamedFollowers {
		return quoteAll(openids)
	}
	return fmt.Sprintf("%s and %d more", quoteAll(openids[:maxNamedFollowers]), len(openids)-maxNamedFollowers)
}

// quoteAll lists openids for a message, quoted as the configuration writes them.
func quoteAll(openids []string) string {
	quoted := make([]string, len(openids))
	for i, openid := range openids {
		quoted[i] = strconv.Quote(openid)
	}
	return strings.Join(quoted, ", ")
}

// batchNeed is what the calls of an action need of the daily quota of their endpoint.
type batchNeed struct {
	change           followersChange
	followers, calls int
	quota            wechat.APIQuota
}

// campaignProgress is how far an action got: of the followers that needed the change,
// those changed by calls WeChat answered, in calls calls.
type campaignProgress struct {
	change                 followersChange
	changed, needed, calls int
}

// What the actions check before their first write, and how they stop.
var (
	batchQuotaShort = &condition[batchNeed]{summary: "Daily quota too small for this change", at: onNothing, detail: func(s subject, n batchNeed) string {
		return fmt.Sprintf("Of the followers named, %s need the change: %s them takes %s of %s (%d followers a call), and the account has %s of "+
			"that API's daily quota of %s left (%s used today), so the action stops before its first call rather than halfway. "+
			"WeChat resets the quota at midnight China Standard Time (UTC+8): run the action then, name fewer followers "+
			"and the rest on another day, or ask WeChat for a larger quota in the Official Account console.",
			thousands(n.followers), n.change.doing(s.tagID), countOf(n.calls, "call"), wechat.QuotaPath(n.change.endpoint),
			wechat.MaxOpenIDsPerBatch, thousands(int(n.quota.Remain)), thousands(int(n.quota.DailyLimit)), thousands(int(n.quota.Used)))
	}}
	batchQuotaUnchecked = &condition[batchNeed]{summary: "Unable to check the daily quota", warning: true, at: onNothing, detail: func(s subject, n batchNeed) string {
		return fmt.Sprintf("Reading the daily quota of %s with getApiQuota failed, so the action cannot tell whether its %s, "+
			"%s %s, fit in it. Past the quota WeChat refuses every call with 45009, and the action then stops, saying how far it got.",
			wechat.QuotaPath(n.change.endpoint), countOf(n.calls, "call"), n.change.doing(s.tagID), countOf(n.followers, "follower"))
	}}
	followersUnchecked = &condition[error]{summary: "Unable to check the followers", warning: true, at: onOpenIDs, detail: func(s subject, _ error) string {
		return fmt.Sprintf("Reading the tags of the followers that lack tag %d, to check that each follows the account and carries fewer "+
			"than %d tags, failed; the action checks them again before its first call.", s.tagID, wechat.MaxTagsPerFollower)
	}}
	campaignInterrupted = &condition[campaignProgress]{summary: "Interrupted", at: onNothing, detail: func(s subject, p campaignProgress) string {
		if p.calls == 0 {
			return fmt.Sprintf("Terraform was interrupted (Ctrl-C) before the action began %s followers: it sent none. "+
				"Run the action again when it suits.", p.change.doing(s.tagID))
		}
		return fmt.Sprintf("Terraform was interrupted (Ctrl-C) while the action was %s followers, and the action stopped before its next "+
			"call: %s of the %s followers that needed the change have it, in %s, and perhaps the %d of the call in flight. "+
			"Nothing records the action's progress, and nothing needs to: run it again, and it reads the tag's followers anew and "+
			"sends only those still missing.",
			p.change.doing(s.tagID), thousands(p.changed), thousands(p.needed), countOf(p.calls, "call"), wechat.MaxOpenIDsPerBatch)
	}}
)

// countOf is "1 follower" or "2,000 followers".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// thousands writes n with a comma between groups of three digits, as the messages write
// follower counts: 100,000.
func thousands(n int) string {
	digits := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}
