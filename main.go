package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/wechat-tf/terraform-provider-wechat/internal/provider"
)

// version is set by the release build through -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	if !debug {
		quietSDKLogsNobodyReads()
	}

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/wechat-tf/wechat",
		Debug:   debug,
	})
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
