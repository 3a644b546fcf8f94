package provider

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wechat-tf/terraform-provider-wechat/internal/wechat"
)

// A wechat_tag_members of 100,000 followers cannot hold them in an attribute: Terraform's
// plan renderer compares a list attribute's old and new values with a longest-common-
// subsequence table, quadratic in time and memory even when nothing changed (50,000
// openids took 211 s and 20 GB), and its set comparison is quadratic in time. So with
// openids_file the followers live in a file the provider reads at plan and at apply, the
// state holds their digest and count, which Terraform diffs for nothing, and the list the
// resource manages, which the next change and the next refresh need, goes to private
// state, which Terraform stores but never renders. A plan-time warning names the
// followers a change adds and removes.

// managedKey is the private state key of the openids a resource in file mode manages.
// Renaming it would make every such state forget them.
const managedKey = "openids"

// openIDsFileAttr is where file problems are reported.
var openIDsFileAttr = path.Root("openids_file")

// readOpenIDsFile reads the followers of an openids_file: one openid a line (blank lines
// and lines starting with # are skipped), or a JSON array of strings, as jsonencode
// writes it. Every openid is checked as the openids attribute checks them, and each may
// appear once. The openids come back sorted.
func readOpenIDsFile(name string, diags *diag.Diagnostics) []string {
	content, err := os.ReadFile(name) //nolint:gosec // reading the file the configuration names is the point, as with file()
	if pathErr := (*fs.PathError)(nil); errors.As(err, &pathErr) {
		err = pathErr.Err // the message names the file already
	}
	if err != nil {
		diags.AddAttributeError(openIDsFileAttr, "Unable to read openids_file",
			fmt.Sprintf("Reading %q failed: %s. The provider reads the file at plan and at apply, relative to the directory "+
				"Terraform runs in: write the path as \"${path.module}/members.txt\", and keep the file beside the configuration.", name, err))
		return nil
	}
	openids, lines, err := parseOpenIDs(content)
	if err != nil {
		diags.AddAttributeError(openIDsFileAttr, "Unable to read openids_file",
			fmt.Sprintf("%q is not a list of openids: %s. Write one openid a line, or a JSON array of strings such as "+
				"jsonencode(local.openids) writes.", name, err))
		return nil
	}
	first := make(map[string]int, len(openids))
	for i, openid := range openids {
		if len(diags.Errors()) >= maxNamedFollowers {
			break
		}
		if problem := openIDProblem(openid); problem != "" {
			diags.AddAttributeError(openIDsFileAttr, "Invalid openid in openids_file", fmt.Sprintf("%s, %s: %s", name, lines.of(i), problem))
			continue
		}
		if j, repeated := first[openid]; repeated {
			diags.AddAttributeError(openIDsFileAttr, "Openid listed twice in openids_file",
				fmt.Sprintf("%s lists %q twice, at %s and %s. List each follower once.", name, openid, lines.of(j), lines.of(i)))
			continue
		}
		first[openid] = i
	}
	if diags.HasError() {
		return nil
	}
	slices.Sort(openids)
	return openids
}

// lineNumbers maps the openids of a file to the lines that hold them; nil for JSON.
type lineNumbers []int

func (l lineNumbers) of(i int) string {
	if l == nil {
		return fmt.Sprintf("element %d (counting from 0)", i)
	}
	return fmt.Sprintf("line %d", l[i])
}

func parseOpenIDs(content []byte) ([]string, lineNumbers, error) {
	if trimmed := bytes.TrimSpace(content); len(trimmed) > 0 && trimmed[0] == '[' {
		var openids []string
		if err := json.Unmarshal(trimmed, &openids); err != nil {
			return nil, nil, err
		}
		return openids, nil, nil
	}
	var openids []string
	var lines lineNumbers
	scanner := bufio.NewScanner(bytes.NewReader(content))
	for n := 1; scanner.Scan(); n++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		openids, lines = append(openids, line), append(lines, n)
	}
	return openids, lines, scanner.Err()
}

// membersDigest is the SHA-256 of a membership, the same whatever the order of openids.
func membersDigest(openids []string) string {
	sorted := slices.Sorted(slices.Values(openids))
	h := sha256.New()
	for _, openid := range sorted {
		h.Write([]byte(openid))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// managedFollowers is the followers the state of a wechat_tag_members manages: its
// openids, or in file mode those the private record holds, which must be the followers of
// the state's openids_count and openids_sha256. A record that is missing, does not parse
// or does not match is rebuilt only from proof: the file the state names, when it lists
// exactly those followers. Otherwise it is a *lostRecordError: acting on an empty list
// would leave followers tagged that a destroy should untag, or untag the wrong ones.
func managedFollowers(ctx context.Context, state tagMembersModel, private records) ([]string, error) {
	if !state.fileMode() {
		return openIDsOf(state.OpenIDs), nil
	}
	lost := &lostRecordError{file: state.OpenIDsFile.ValueString(), count: state.OpenIDsCount, digest: state.OpenIDsSHA256}
	var packed []byte // a JSON string holds them base64-encoded
	found, err := private.get(ctx, managedKey, &packed)
	var openids []string
	if found && err == nil {
		openids, err = unpackOpenIDs(packed)
	}
	switch {
	case !found:
		lost.problem = "is missing"
	case err != nil:
		lost.problem = "does not parse (" + err.Error() + ")"
	case !lost.matches(openids):
		lost.problem = fmt.Sprintf("lists %d followers of SHA-256 %s", len(openids), membersDigest(openids))
	default:
		return openids, nil
	}
	var ignored diag.Diagnostics
	if listed := readOpenIDsFile(lost.file, &ignored); !ignored.HasError() && lost.digest.ValueString() != "" && lost.matches(listed) {
		return listed, nil
	}
	return nil, lost
}

// lostRecordError is a private record of the followers a resource in file mode manages
// that is missing or does not match its state.
type lostRecordError struct {
	file    string
	count   types.Int64
	digest  types.String
	problem string
}

// matches reports whether openids are the followers of the state's count and digest; a
// state that records neither (unknown) matches nothing.
func (e *lostRecordError) matches(openids []string) bool {
	return e.count.ValueInt64() == int64(len(openids)) && e.digest.ValueString() == membersDigest(openids)
}

func (e *lostRecordError) Error() string {
	return fmt.Sprintf("the state manages %d followers of SHA-256 %s, but the private record of them %s, and %s does not list them",
		e.count.ValueInt64(), e.digest.ValueString(), e.problem, e.file)
}

// recordFollowers records the followers a resource in file mode manages.
func (r records) recordFollowers(ctx context.Context, openids []string, diags *diag.Diagnostics) {
	r.set(ctx, managedKey, packOpenIDs(openids), diags)
}

// packOpenIDs is openids sorted, one a line, gzipped: 100,000 openids take 1.7 MB instead
// of 3.1 MB, which counts three times over, as the framework and then Terraform encode
// private state in base64 again.
func packOpenIDs(openids []string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, openid := range slices.Sorted(slices.Values(openids)) {
		_, _ = zw.Write([]byte(openid + "\n")) // a bytes.Buffer does not fail
	}
	_ = zw.Close()
	return buf.Bytes()
}

func unpackOpenIDs(packed []byte) ([]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(packed))
	if err != nil {
		return nil, err
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	openids := strings.Split(string(text), "\n")
	return openids[:len(openids)-1], nil // after the last newline
}

// Adopting a tag of 100,000 followers. A query of wechat_tag_members with
// openids_file_from writes the followers of each tag that has at least that many to the
// file adoptedOpenIDsFile names, and its result, from which Terraform generates the
// resource block, names that file in openids_file. The import of the generated block must
// read the same state, or its plan would show a change, of openids_file and of a list of
// every follower: Terraform gives an import the resource's identity, the tag id, and
// neither the configuration nor the query's. So the file's name follows from the tag id
// alone, and an import adopts a tag's followers into openids_file when that file exists.

// adoptedOpenIDsDir is the directory of those files, relative to the directory Terraform
// runs in, which for query and plan is the configuration's: the generated configuration
// names them relative to it, and moves with it.
const adoptedOpenIDsDir = "openids"

// adoptedOpenIDsFile is the file of the followers of tagID that a query writes and an
// import adopts.
func adoptedOpenIDsFile(tagID int64) string {
	return fmt.Sprintf("%s/%d.txt", adoptedOpenIDsDir, tagID)
}

// adoptedFileOf is the openids_file an import of tagID adopts its followers into:
// adoptedOpenIDsFile when it exists, as a query writes it, or someone before an import by
// hand; else null, for openids.
func adoptedFileOf(tagID int64) types.String {
	name := adoptedOpenIDsFile(tagID)
	if info, err := os.Stat(name); err == nil && info.Mode().IsRegular() {
		return types.StringValue(name)
	}
	return types.StringNull()
}

// writeAdoptedOpenIDsFile writes openids, the followers of tag, to the file an import of
// the tag adopts, and returns its name. A file that is there already is left as it is if
// it lists the same followers, as when a query runs again, and refused otherwise: it may
// hold followers someone chose, and a query never overwrites them.
func writeAdoptedOpenIDsFile(tag wechat.Tag, openids []string, diags *diag.Diagnostics) string {
	name := adoptedOpenIDsFile(tag.ID)
	about, facts := subject{tagID: tag.ID, tagName: tag.Name}, adoptedFile{name: name, followers: len(openids)}
	_, err := os.Stat(name)
	switch {
	case err == nil:
		var unreadable diag.Diagnostics
		listed := readOpenIDsFile(name, &unreadable)
		if !unreadable.HasError() && membersDigest(listed) == membersDigest(openids) {
			return name
		}
		facts.listed, facts.unreadable = len(listed), unreadable.HasError()
		diags.Append(adoptedFileTaken.diagnostic(about, facts, nil))
		return ""
	case !errors.Is(err, fs.ErrNotExist):
		diags.Append(adoptedFileUnwritable.diagnostic(about, facts, err))
		return ""
	}
	var text strings.Builder
	fmt.Fprintf(&text, "# The followers of tag %q (id %d), as terraform query read them, one openid a line.\n", tag.Name, tag.ID)
	for _, openid := range slices.Sorted(slices.Values(openids)) {
		text.WriteString(openid + "\n")
	}
	if err := writeFileWhole(name, text.String()); err != nil {
		diags.Append(adoptedFileUnwritable.diagnostic(about, facts, err))
		return ""
	}
	return name
}

// writeFileWhole writes a new file under a temporary name and then renames it, so that
// a query interrupted midway leaves no file that lists only some of the followers.
func writeFileWhole(name, text string) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
