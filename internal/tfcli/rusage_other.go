//go:build !linux

package tfcli

import "os"

// peakRSS is not measured off Linux, where ru_maxrss has other units or none.
func peakRSS(*os.ProcessState) int64 { return 0 }
