// Command bareprovider is a benchmark fixture, not a provider anyone uses: the least a
// Terraform plugin can be. It serves terraform-plugin-go's tfprotov6 with no framework,
// one resource type, bare_echo, whose one attribute, input, takes any value, and it does
// nothing: a plan proposes the configuration, an apply stores the plan, a read returns
// the state and the state is never decoded. `make bench` builds it as
// terraform-provider-bare, and wechat-bench times a plan of the wechat provider against
// a plan of the same graph of bare_echo: what is left is the framework's work and the
// provider's own, the plugin protocol being paid by both.
package main

import (
	"context"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func main() {
	// terraform-plugin-go's trace logs off, as the wechat provider turns them off when
	// Terraform discards them (see its main.go), so that both pay the same.
	if os.Getenv("TF_LOG") == "" && os.Getenv("TF_LOG_PROVIDER") == "" {
		_ = os.Setenv("TF_LOG_SDK", "off")
		_ = os.Setenv("TF_LOG_SDK_PROTO", "off")
	}
	err := tf6server.Serve("registry.terraform.io/bench/bare", func() tfprotov6.ProviderServer { return echo{} })
	if err != nil {
		log.Fatal(err)
	}
}

// echo implements the calls a plan and an apply of bare_echo make. The interface it
// embeds is nil: any other call would panic, and the bench makes none.
type echo struct{ tfprotov6.ProviderServer }

var schema = &tfprotov6.GetProviderSchemaResponse{
	Provider: &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{}},
	ResourceSchemas: map[string]*tfprotov6.Schema{"bare_echo": {Block: &tfprotov6.SchemaBlock{
		Attributes: []*tfprotov6.SchemaAttribute{{Name: "input", Type: tftypes.DynamicPseudoType, Optional: true}},
	}}},
}

func (echo) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return schema, nil
}

func (echo) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return &tfprotov6.GetMetadataResponse{Resources: []tfprotov6.ResourceMetadata{{TypeName: "bare_echo"}}}, nil
}

// UpgradeResourceState hands the stored JSON back: Terraform decodes JSON as it decodes
// msgpack.
func (echo) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &tfprotov6.DynamicValue{JSON: req.RawState.JSON}}, nil
}

func (echo) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

func (echo) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: req.ProposedNewState, PlannedPrivate: req.PriorPrivate}, nil
}

func (echo) ApplyResourceChange(_ context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return &tfprotov6.ApplyResourceChangeResponse{NewState: req.PlannedState, Private: req.PlannedPrivate}, nil
}

// What Terraform calls for every command: nothing to do.

func (echo) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{}, nil
}

func (echo) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (echo) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (echo) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (echo) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}
