package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The test binary acts as the provider wrapper as the bench binary does, when
// dev_overrides starts it under the provider's name: init in peakrss_linux.go.

func TestProviderWrapper_passesStreamsAndExitCodeThroughAndRecordsPeakMemory(t *testing.T) {
	dir := t.TempDir()
	if err := providerWrapperDir(dir); err != nil {
		t.Fatal(err)
	}
	peakFile := filepath.Join(dir, "peak-rss")
	// The "provider" echoes its arguments and stdin, writes to stderr and exits 3.
	wrapper := exec.CommandContext(t.Context(), filepath.Join(dir, providerBinaryName), "-c", `echo "args: $0"; cat; echo oops >&2; exit 3`, "first")
	wrapper.Env = append(os.Environ(), envRealProvider+"=/bin/sh", envPeakRSSFile+"="+peakFile, "BENCH_TEST_VAR=kept")
	wrapper.Stdin = strings.NewReader("handshake line\n")
	var stdout, stderr bytes.Buffer
	wrapper.Stdout, wrapper.Stderr = &stdout, &stderr
	err := wrapper.Run()

	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("wrapper exited with %v, want exit status 3; stderr: %s", err, stderr.String())
	}
	if got, want := stdout.String(), "args: first\nhandshake line\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if got := stderr.String(); got != "oops\n" {
		t.Errorf("stderr %q, want the child's", got)
	}
	usage, err := readProviderUsage(peakFile)
	if err != nil {
		t.Fatal(err)
	}
	// A shell takes at least a few hundred KiB; rusage reports it in KiB on Linux.
	if usage.processes != 1 || usage.peakRSS < 100<<10 || usage.peakRSS > 1<<30 {
		t.Errorf("recorded %+v, want 1 process with a shell's peak", usage)
	}
}

func TestProviderWrapper_refusesToRunWithoutTheBenchEnvironment(t *testing.T) {
	dir := t.TempDir()
	if err := providerWrapperDir(dir); err != nil {
		t.Fatal(err)
	}
	wrapper := exec.CommandContext(t.Context(), filepath.Join(dir, providerBinaryName))
	wrapper.Env = append(os.Environ(), envRealProvider+"=", envPeakRSSFile+"=")
	out, err := wrapper.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "make bench") {
		t.Errorf("got %v and %q, want a failure that names make bench", err, out)
	}
}
