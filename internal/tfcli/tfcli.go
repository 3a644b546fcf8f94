// Package tfcli is the Terraform CLI as this repository's tools and end-to-end tests drive
// it: it finds the CLI and tells Terraform from OpenTofu and its version, writes the
// dev_overrides CLI configuration that runs a provider built from this tree with no
// `terraform init`, and runs the CLI in a working directory. internal/e2e,
// internal/cmd/testacc-matrix and internal/cmd/wechat-bench use it; nothing in the
// provider does.
package tfcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"

	"github.com/hashicorp/go-version"
)

// Product is which CLI a binary is.
type Product string

const (
	Terraform Product = "Terraform"
	OpenTofu  Product = "OpenTofu"
)

// CLI is a Terraform CLI binary and what it says it is.
type CLI struct {
	Path    string
	Product Product
	Version *version.Version
}

// String is the CLI as its `version` command names it: "Terraform v1.11.4".
func (c CLI) String() string { return fmt.Sprintf("%s v%s", c.Product, c.Version) }

// Registry is the host a provider source without one resolves to, which a dev_overrides
// key must name: Terraform reads "wechat-tf/wechat" as
// registry.terraform.io/wechat-tf/wechat, OpenTofu as registry.opentofu.org/wechat-tf/wechat.
func (c CLI) Registry() string {
	if c.Product == OpenTofu {
		return "registry.opentofu.org"
	}
	return "registry.terraform.io"
}

// ProviderAddress is the address this CLI gives a provider source such as
// "wechat-tf/wechat", as in `providers schema -json`.
func (c CLI) ProviderAddress(source string) string { return c.Registry() + "/" + source }

// Find identifies the CLI the acceptance tests use: TF_ACC_TERRAFORM_PATH, or else the
// terraform on PATH.
func Find(ctx context.Context, env ...string) (CLI, error) {
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("terraform"); err != nil {
			return CLI{}, errors.New("no terraform is on PATH and TF_ACC_TERRAFORM_PATH is empty")
		}
	}
	return Identify(ctx, path, env...)
}

// Identify asks the CLI at path what it is, with env added to this process's environment.
//
// The version comes from `version -json`, whose terraform_version field both CLIs print
// (OpenTofu keeps Terraform's field name). That output names neither product, so the
// product comes from the line "Terraform vX.Y.Z" or "OpenTofu vX.Y.Z" of `version`, which
// gives the version too where `version -json` fails. Either output may start with
// warnings, as OpenTofu prints about its CLI configuration: they are skipped.
func Identify(ctx context.Context, path string, env ...string) (CLI, error) {
	run := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, path, args...) //nolint:gosec // G204: the CLI the caller named
		cmd.Env = append(append(os.Environ(), "CHECKPOINT_DISABLE=1"), env...)
		out, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("%s version: %w", path, err)
		}
		return out, nil
	}
	text, err := run("version")
	if err != nil {
		return CLI{}, err
	}
	product, v, err := parseVersionText(text)
	if err != nil {
		return CLI{}, fmt.Errorf("%s %w", path, err)
	}
	if out, err := run("version", "-json"); err == nil {
		if fromJSON, err := parseVersionJSON(out); err == nil {
			v = fromJSON
		}
	}
	return CLI{Path: path, Product: product, Version: v}, nil
}

var versionLine = regexp.MustCompile(`(?m)^(Terraform|OpenTofu) v(\S+)\s*$`)

// parseVersionText reads the output of `version`: the first line "Terraform vX.Y.Z" or
// "OpenTofu vX.Y.Z", wherever it is.
func parseVersionText(out []byte) (Product, *version.Version, error) {
	m := versionLine.FindSubmatch(out)
	if m == nil {
		return "", nil, fmt.Errorf("version printed no line \"Terraform vX.Y.Z\" or \"OpenTofu vX.Y.Z\":\n%s", out)
	}
	v, err := version.NewVersion(string(m[2]))
	if err != nil {
		return "", nil, fmt.Errorf("version: %w", err)
	}
	return Product(m[1]), v, nil
}

// parseVersionJSON reads the output of `version -json`: the JSON object, from the first
// line that opens one.
func parseVersionJSON(out []byte) (*version.Version, error) {
	start := 0
	for !bytes.HasPrefix(out[start:], []byte("{")) {
		next := bytes.IndexByte(out[start:], '\n')
		if next < 0 {
			return nil, fmt.Errorf("version -json printed no JSON object:\n%s", out)
		}
		start += next + 1
	}
	var parsed struct {
		Version string `json:"terraform_version"`
	}
	if err := json.NewDecoder(bytes.NewReader(out[start:])).Decode(&parsed); err != nil {
		return nil, fmt.Errorf("version -json: %w", err)
	}
	if parsed.Version == "" {
		return nil, fmt.Errorf("version -json printed no terraform_version:\n%s", out)
	}
	return version.NewVersion(parsed.Version)
}
