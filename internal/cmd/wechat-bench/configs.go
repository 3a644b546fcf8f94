package main

import (
	"fmt"
	"strings"

	"github.com/wechat-tf/terraform-provider-wechat/internal/tfcli"
)

// providerHeader requires the provider that dev_overrides points at; no `terraform init`
// is needed for it, nor for the bare provider, nor for terraform_data, which is built
// into Terraform.
const providerHeader = tfcli.RequiredProviders + "\nprovider \"wechat\" {}\n"

// maxTagsPerBenchFollower bounds the tags each follower of the fixture carries: 1 to 3,
// as a real segmentation would give a few tags to each follower.
const maxTagsPerBenchFollower = 3

// fixture is the account a configuration describes: tags, and the tags of each follower
// by index into tags. The wechat configuration and its floors are written from the same
// fixture, so that Terraform walks graphs of the same shape.
type fixture struct {
	tags      []string
	followers []followerTags
}

type followerTags struct {
	openid string
	tags   []int // indexes into fixture.tags
}

// newFixture gives the first nFollowers openids 1 to 3 distinct tags each, among
// nTags, spread evenly and the same on every run.
func newFixture(openids []string, nTags, nFollowers int) (fixture, error) {
	if nTags < maxTagsPerBenchFollower {
		return fixture{}, fmt.Errorf("%d tags: want at least %d, so that a follower's tags are distinct", nTags, maxTagsPerBenchFollower)
	}
	if len(openids) < nFollowers {
		return fixture{}, fmt.Errorf("the mock has %d followers, the configuration needs %d: start it with more", len(openids), nFollowers)
	}
	f := fixture{tags: make([]string, nTags), followers: make([]followerTags, nFollowers)}
	for i := range f.tags {
		f.tags[i] = fmt.Sprintf("bench-%03d", i)
	}
	for i := range f.followers {
		n := 1 + i%maxTagsPerBenchFollower
		tags := make([]int, n)
		// Offsets a third of the tags apart never collide, and i*7 walks every tag.
		for j := range tags {
			tags[j] = (i*7 + j*(nTags/maxTagsPerBenchFollower)) % nTags
		}
		f.followers[i] = followerTags{openid: openids[i], tags: tags}
	}
	return f, nil
}

func tagAddress(i int) string      { return fmt.Sprintf("t%03d", i) }
func followerAddress(i int) string { return fmt.Sprintf("u%03d", i) }

// wechatConfig is the fixture as wechat_tag and wechat_user_tags resources.
func wechatConfig(f fixture) string {
	var b strings.Builder
	b.WriteString(providerHeader)
	writeWechatTags(&b, f.tags)
	for i, follower := range f.followers {
		fmt.Fprintf(&b, "\nresource \"wechat_user_tags\" %q {\n  openid  = %q\n  tag_ids = [%s]\n}\n",
			followerAddress(i), follower.openid, references(follower.tags, "wechat_tag.%s.id"))
	}
	return b.String()
}

// tagsConfig is wechat_tag resources alone, named as in wechatConfig.
func tagsConfig(names []string) string {
	var b strings.Builder
	b.WriteString(providerHeader)
	writeWechatTags(&b, names)
	return b.String()
}

func writeWechatTags(b *strings.Builder, names []string) {
	for i, name := range names {
		fmt.Fprintf(b, "\nresource \"wechat_tag\" %q {\n  name = %q\n}\n", tagAddress(i), name)
	}
}

// floorResource is a resource type that stands for both wechat resources in a graph of
// the same shape: its attribute attr takes any value, and ref is what a reference reads.
type floorResource struct {
	header, resourceType, attr, ref string
}

var (
	// bareFloor is the resource of the bare provider, which echoes its configuration.
	bareFloor = floorResource{
		header:       "terraform {\n  required_providers {\n    bare = {\n      source = \"" + bareSource + "\"\n    }\n  }\n}\n\n",
		resourceType: "bare_echo", attr: "input", ref: "input",
	}
	// terraformDataFloor is built into Terraform: no plugin at all.
	terraformDataFloor = floorResource{resourceType: "terraform_data", attr: "input", ref: "output"}
)

// floorConfig is the fixture as resources of f with the same addresses, values and
// references: what Terraform costs for that graph with a provider that does nothing, or
// with none.
func floorConfig(fix fixture, f floorResource) string {
	var b strings.Builder
	b.WriteString(f.header)
	for i, name := range fix.tags {
		fmt.Fprintf(&b, "resource %q %q {\n  %s = %q\n}\n\n", f.resourceType, tagAddress(i), f.attr, name)
	}
	for i, follower := range fix.followers {
		fmt.Fprintf(&b, "resource %q %q {\n  %s = {\n    openid  = %q\n    tag_ids = [%s]\n  }\n}\n\n",
			f.resourceType, followerAddress(i), f.attr, follower.openid, references(follower.tags, f.resourceType+".%s."+f.ref))
	}
	return b.String()
}

func references(tags []int, format string) string {
	refs := make([]string, len(tags))
	for j, tag := range tags {
		refs[j] = fmt.Sprintf(format, tagAddress(tag))
	}
	return strings.Join(refs, ", ")
}

// membersConfig is one tag given to every openid listed, through wechat_tag_members.
func membersConfig(tagName string, openids []string) string {
	var b strings.Builder
	b.Grow(len(openids) * 40)
	b.WriteString(providerHeader)
	fmt.Fprintf(&b, "\nresource \"wechat_tag\" \"members\" {\n  name = %q\n}\n", tagName)
	b.WriteString("\nresource \"wechat_tag_members\" \"members\" {\n  tag_id    = wechat_tag.members.id\n  exclusive = false\n  openids = [\n")
	for _, openid := range openids {
		fmt.Fprintf(&b, "    %q,\n", openid)
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

// tagNames names n tags for the latency scenario.
func tagNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return names
}
