package main

import "syscall"

// providerProcAttr makes the kernel kill the provider if the wrapper dies first, as
// when Terraform kills a provider that did not stop in time: the provider must not
// outlive the wrapper Terraform knows about.
func providerProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
