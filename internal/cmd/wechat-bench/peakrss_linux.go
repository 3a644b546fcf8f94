package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
)

// The provider's peak memory is measured by a pass-through wrapper: a directory that
// dev_overrides points at holds a symbolic link named terraform-provider-wechat to this
// program, which, started under that name, runs the real provider as its child with the
// same arguments, standard streams and environment (go-plugin's handshake goes through
// stdout, so the child answers Terraform directly), forwards SIGINT and SIGTERM, and when
// the child exits appends to a file the child's peak resident set size, as the kernel
// accounted it in rusage (ru_maxrss, what VmHWM shows while the process lives), and its
// CPU time. Every provider process Terraform starts for a command adds one line: the
// largest peak is the command's figure, the CPU times add up. Unlike polling
// /proc/PID/status, nothing between two polls is missed. The child is killed if the
// wrapper is, so none outlives a command. Linux only, as the guide's figures are: other
// systems run the bench without it (see measuringProvider).
func init() {
	if filepath.Base(os.Args[0]) == providerBinaryName {
		os.Exit(runProviderWrapper())
	}
}

// runProviderWrapper runs the real provider and returns the exit code to exit with.
func runProviderWrapper() int {
	provider, out := os.Getenv(envRealProvider), os.Getenv(envPeakRSSFile)
	if provider == "" || out == "" {
		fmt.Fprintf(os.Stderr, "wechat-bench: started as %s without %s and %s: this is the bench's memory-measuring wrapper, run by `make bench`\n",
			providerBinaryName, envRealProvider, envPeakRSSFile)
		return 1
	}
	// The wrapper has no context of its own: it lives exactly as long as the provider.
	child := exec.Command(provider, os.Args[1:]...) //nolint:gosec,noctx // G204: the provider the bench was told to measure.
	child.Stdin, child.Stdout, child.Stderr = os.Stdin, os.Stdout, os.Stderr
	child.Env = os.Environ()
	// The kernel kills the provider if the wrapper dies first, as when Terraform kills a
	// provider that did not stop in time. The parent-death signal follows the thread that
	// started the child, so that thread must live as long as the child.
	child.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	if err := child.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "wechat-bench: starting the provider %s: %v\n", provider, err)
		return 1
	}
	go func() {
		for s := range signals {
			_ = child.Process.Signal(s)
		}
	}()
	err := child.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		fmt.Fprintf(os.Stderr, "wechat-bench: waiting for the provider: %v\n", err)
		return 1
	}
	if usage, ok := child.ProcessState.SysUsage().(*syscall.Rusage); ok {
		// ru_maxrss is in kilobytes on Linux.
		cpu := child.ProcessState.UserTime() + child.ProcessState.SystemTime()
		line := fmt.Sprintf("%d %d %d\n", child.ProcessState.Pid(), usage.Maxrss*1024, cpu.Nanoseconds())
		if err := appendLine(out, line); err != nil {
			fmt.Fprintf(os.Stderr, "wechat-bench: recording the provider's peak memory: %v\n", err)
		}
	}
	return max(child.ProcessState.ExitCode(), 0)
}

// appendLine appends line in a single write, so that provider processes exiting at the
// same time do not interleave their lines.
func appendLine(path, line string) error {
	f, err := os.OpenFile(filepath.Clean(path), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600) //nolint:gosec // G703: the file the bench named in the environment it gave Terraform
	if err != nil {
		return err
	}
	_, err = f.WriteString(line)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return err
}
