//go:build !linux

package main

import "syscall"

// providerProcAttr has nothing to add where there is no parent-death signal.
func providerProcAttr() *syscall.SysProcAttr { return nil }
