package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	provider := filepath.Join(dir, "terraform-provider-wechat")
	bare := "-bare-provider=bin/terraform-provider-bare"
	o, err := parseFlags([]string{"-provider", provider, bare, "-mock", "mock", "-work", "bench"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.provider != provider || !filepath.IsAbs(o.bareProvider) || !filepath.IsAbs(o.mock) || !filepath.IsAbs(o.work) ||
		o.out != filepath.Join(o.work, "results.md") || o.runs != 5 {
		t.Errorf("paths not made absolute, -out not defaulted into -work, or not 5 runs: %+v", o)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-mock", "m", bare}, "-provider, -bare-provider and -mock are required"},
		{[]string{"-provider", provider, "-mock", "m"}, "-provider, -bare-provider and -mock are required"},
		{[]string{"-provider", "bin/provider", bare, "-mock", "m"}, "must be named terraform-provider-wechat"},
		{[]string{"-provider", provider, "-bare-provider", "bin/bare", "-mock", "m"}, "must be named terraform-provider-bare"},
		{[]string{"-provider", provider, bare, "-mock", "m", "-runs", "0"}, "-runs 0"},
		{[]string{"-provider", provider, bare, "-mock", "m", "extra"}, "unexpected arguments"},
	} {
		if _, err := parseFlags(c.args, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseFlags(%q) = %v, want an error with %q", c.args, err, c.want)
		}
	}
}
