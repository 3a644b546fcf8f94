//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// peakRSSBytes is the peak resident set size of the exited process.
func peakRSSBytes(state *os.ProcessState) (int64, bool) {
	usage, ok := state.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	// ru_maxrss is in kilobytes on Linux and the BSDs, in bytes on macOS.
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(usage.Maxrss), true //nolint:unconvert // int32 on 32-bit platforms
	}
	return int64(usage.Maxrss) * 1024, true //nolint:unconvert // int32 on 32-bit platforms
}
