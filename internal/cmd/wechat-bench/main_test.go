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
	o, err := parseFlags([]string{"-provider", provider, "-mock", "mock", "-work", "bench"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.provider != provider || !filepath.IsAbs(o.mock) || !filepath.IsAbs(o.work) || o.out != filepath.Join(o.work, "results.md") {
		t.Errorf("paths not made absolute, or -out not defaulted into -work: %+v", o)
	}
	if o.runs != 5 || o.tags != 100 || o.followers != 200 || o.members != 10000 || o.parallelism != 10 || o.latencyTags != 100 {
		t.Errorf("defaults are not the issue's scenarios: %+v", o)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-mock", "m"}, "-provider and -mock are required"},
		{[]string{"-provider", "bin/provider", "-mock", "m"}, "must be named terraform-provider-wechat"},
		{[]string{"-provider", provider, "-mock", "m", "-runs", "0"}, "-runs 0"},
		{[]string{"-provider", provider, "-mock", "m", "-tags", "101"}, "at most 100"},
		{[]string{"-provider", provider, "-mock", "m", "-latency-tags", "0"}, "want 1 to 100"},
		{[]string{"-provider", provider, "-mock", "m", "extra"}, "unexpected arguments"},
	} {
		if _, err := parseFlags(c.args, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseFlags(%q) = %v, want an error with %q", c.args, err, c.want)
		}
	}
}
