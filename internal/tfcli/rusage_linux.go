package tfcli

import (
	"os"
	"syscall"
)

// peakRSS is the peak resident memory, in bytes, of the largest of the process and the
// children it waited for (Terraform waits for its providers), as wait4 reports it.
func peakRSS(state *os.ProcessState) int64 {
	if usage, ok := state.SysUsage().(*syscall.Rusage); ok {
		return usage.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}
