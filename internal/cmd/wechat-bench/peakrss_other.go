//go:build !unix

package main

import "os"

// peakRSSBytes is not measured where there is no rusage.
func peakRSSBytes(*os.ProcessState) (int64, bool) { return 0, false }
