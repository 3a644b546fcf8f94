package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// A resource's private state holds records that its attributes do not: the account it was
// created or imported under, and in file mode the followers a wechat_tag_members manages
// (openids_file.go). Terraform stores them with the state and never shows them. A record
// is data: one that is missing where the state says it must exist, or that does not
// parse, is an error, never an empty value to act on.

// The account guard. To a provider given the credentials of another account, every object
// of the state looks deleted outside Terraform: that account's tags/get lacks the tags, and
// its getidlist answers 49003 for the followers. A refresh would drop them all and the next
// plan create them anew. Worse, tag ids are small numbers every account reuses: tag 100 of
// another account is another tag, which a plan would rename or untag. So each resource
// records the AppID it was created or imported under, and is never read, planned, changed
// or destroyed under another, nor under a token whose account the provider cannot name
// (an access_token without app_id), before any call.
//
// A state written before the guard carries no AppID: it adopts the AppID in effect on its
// first refresh, or stays unrecorded, and unguarded, while the provider has a token and
// no app_id.

// accountKey is the private state key of the account record. Renaming it would leave every
// state written before unguarded.
const accountKey = "account"

type accountRecord struct {
	AppID string `json:"app_id"`
}

// privateData is a resource's private state, as the framework passes it to every
// resource method.
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// privateState is privateData as a type parameter, so that a nil pointer of the
// framework's own type can be told from a private state.
type privateState interface {
	comparable
	privateData
}

// records reads the private state a resource method was given and writes the one it
// saves with. Either is nil where the method has none: the framework always passes one,
// while unit tests that build requests by hand may not.
type records struct {
	in, out privateData
}

func recordsOf[P privateState](in, out P) records {
	var none P
	r := records{}
	if in != none {
		r.in = in
	}
	if out != none {
		r.out = out
	}
	return r
}

// errDamagedRecord is a record that is there but does not parse.
var errDamagedRecord = errors.New("the record does not parse")

// get reads the record under key into v; found is false when there is none.
func (r records) get(ctx context.Context, key string, v any) (found bool, err error) {
	if r.in == nil {
		return false, nil
	}
	raw, diags := r.in.GetKey(ctx, key)
	if diags.HasError() {
		return false, fmt.Errorf("%s", diags.Errors()[0].Detail())
	}
	if len(raw) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("%w: %w", errDamagedRecord, err)
	}
	return true, nil
}

// set records v under key; a nil v removes the record.
func (r records) set(ctx context.Context, key string, v any, diags *diag.Diagnostics) {
	if r.out == nil {
		return
	}
	var raw []byte
	if v != nil {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			diags.AddError("Unable to record "+key, err.Error())
			return
		}
	}
	diags.Append(r.out.SetKey(ctx, key, raw)...)
}

// recordedAppID is the AppID the account record holds, "" when there is none.
func (r records) recordedAppID(ctx context.Context) (string, error) {
	var record accountRecord
	if _, err := r.get(ctx, accountKey, &record); err != nil {
		return "", err
	}
	return record.AppID, nil
}

// refuseOtherAccount is the diagnostic that refuses the resource to a provider acting for
// appID ("" when the provider cannot name its account), nil when it may go on.
func (r records) refuseOtherAccount(ctx context.Context, appID string) diag.Diagnostic {
	recorded, err := r.recordedAppID(ctx)
	switch {
	case err != nil:
		return damagedAccountRecord.diagnostic(subject{}, err, err)
	case recorded == "" || recorded == appID:
		return nil
	case appID == "":
		return unnamedAccount.diagnostic(subject{}, accounts{recorded: recorded}, nil)
	}
	return otherAccount.diagnostic(subject{}, accounts{provider: appID, recorded: recorded}, nil)
}

// recordAccount records appID, the account the resource is saved under; "" records
// nothing, as the provider cannot name the account of a token without app_id.
func (r records) recordAccount(ctx context.Context, appID string, diags *diag.Diagnostics) {
	if appID == "" {
		return
	}
	r.set(ctx, accountKey, accountRecord{AppID: appID}, diags)
}
