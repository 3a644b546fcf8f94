package main

import (
	"flag"
	"log"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/wechat-tf/terraform-provider-wechat/internal/provider"
)

// version is set by the release build through -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var managedDebug bool
	flag.BoolVar(&managedDebug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	if !managedDebug {
		quietSDKLogsNobodyReads()
	}
	collectGarbageLessOften()

	var opts []tf6server.ServeOpt
	if managedDebug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	err := tf6server.Serve("registry.terraform.io/wechat-tf/wechat", provider.ProtocolServer(version), opts...)
	if err != nil {
		log.Fatal(err)
	}
}

// sdkLogLevels are the variables that set the log levels of terraform-plugin-go and
// terraform-plugin-framework.
var sdkLogLevels = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}

// quietSDKLogsNobodyReads turns off the plugin SDK's logs when Terraform will throw them
// away. Not knowing Terraform's level, the SDK writes TRACE lines for every request, and
// formatting them costs more CPU than the provider's own work in a plan (make bench); yet
// Terraform reads a provider's logs only when TF_LOG or TF_LOG_PROVIDER asks for them, and
// the provider inherits Terraform's environment. A level set explicitly is kept.
func quietSDKLogsNobodyReads() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, name := range sdkLogLevels {
		if _, set := os.LookupEnv(name); !set {
			_ = os.Setenv(name, "off")
		}
	}
}

// The garbage collector's settings unless GOGC or GOMEMLIMIT says otherwise. A plan sends
// the provider a few requests per resource, and the plugin libraries allocate for each
// far more than they keep (546 MB in all for a plan of 2,020 resources): at Go's default,
// GOGC=100, collecting that garbage is a quarter of the provider's CPU. At 400 it is
// collected a fifth as often, for a peak about half higher (make bench). The limit keeps the
// largest live heaps, about 110 MiB for a snapshot of 1,000,000 followers, within about
// what the default would have given them.
const (
	gcPercent   = 400
	memoryLimit = 512 << 20
)

// collectGarbageLessOften trades memory the provider has to spare for CPU the plan needs.
func collectGarbageLessOften() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
	}
}
