package provider

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// The account guard. To a provider given the credentials of another account, every object
// of the state looks deleted outside Terraform: that account's tags/get lacks the tags, and
// its getidlist answers 49003 for the followers. A refresh would drop them all and the next
// plan create them anew. So each resource records, in its private state, the AppID it was
// created or imported under, and refuses to be read, planned, changed or destroyed under
// another, before any call.
//
// A state written before the guard carries no AppID and adopts the one in effect on its
// first refresh. A provider given a token obtained elsewhere knows its AppID only when
// app_id names it; without one, nothing is checked and nothing recorded.

// accountKey is the private state key of the record. Renaming it would leave every state
// written before unguarded.
const accountKey = "account"

type accountRecord struct {
	AppID string `json:"app_id"`
}

// privateState is a resource's private state, as the framework passes it to every
// resource method.
type privateState interface {
	comparable
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// recordedAppID is the AppID private records, "" when it records none.
func recordedAppID[P privateState](ctx context.Context, private P) string {
	raw, _ := private.GetKey(ctx, accountKey)
	var record accountRecord
	// A record that does not parse guards nothing; it is replaced at the next write.
	if len(raw) == 0 || json.Unmarshal(raw, &record) != nil {
		return ""
	}
	return record.AppID
}

// sameAccount reports whether the provider, acting for appID, may touch the resource whose
// private state is private; when not, it adds the error that names both accounts.
func sameAccount[P privateState](ctx context.Context, private P, appID string, diags *diag.Diagnostics) bool {
	recorded := recordedAppID(ctx, private)
	if recorded == "" || appID == "" || recorded == appID {
		return true
	}
	diags.Append(diagnose(otherAccount, subject{appID: appID, recordedAppID: recorded}, nil))
	return false
}

// recordAccount records appID in private, the private state the resource is saved with.
// The framework always passes one; only unit tests that build requests by hand leave it
// nil, and record nothing.
func recordAccount[P privateState](ctx context.Context, private P, appID string, diags *diag.Diagnostics) {
	var none P
	if private == none || appID == "" || recordedAppID(ctx, private) == appID {
		return
	}
	raw, err := json.Marshal(accountRecord{AppID: appID})
	if err != nil {
		diags.AddError("Unable to record the account", err.Error())
		return
	}
	diags.Append(private.SetKey(ctx, accountKey, raw)...)
}
