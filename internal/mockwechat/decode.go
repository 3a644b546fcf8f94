package mockwechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// object is a JSON object's members by their exact keys. Requests are read through it
// rather than with json.Unmarshal into a struct, which would match "OpenID_List" to
// openid_list and keep the last of two "tagid"s: WeChat matches keys exactly, and a
// client that misspells one must be told, not served.
type object map[string]json.RawMessage

var (
	errNotObject    = errors.New("not a JSON object")
	errDuplicateKey = errors.New("duplicate key")
)

// UnmarshalJSON reads an object, refusing a duplicate key: the real service's answer to
// one is unknown, and the safe reading of {"tagid":100,"tagid":101} is none.
func (o *object) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errNotObject
	}
	members := object{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string) // object keys are always strings
		if _, dup := members[key]; dup {
			return fmt.Errorf("%w %q", errDuplicateKey, key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		members[key] = raw
	}
	*o = members
	return nil
}

// fields are where decode puts members, by exact key: a pointer to a string, int64, bool,
// []string or object.
type fields map[string]any

// decode decodes the members fields names and reports which were present. A member
// that is null counts as absent, as when an SDK serialises an unset optional value;
// a member of the wrong type (a tag id sent as "100") is 47001. Members fields does not
// name are ignored, as the real service ignores them.
func (o object) decode(into fields) (present map[string]bool, err error) {
	present = map[string]bool{}
	for key, dst := range into {
		raw, ok := o[key]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			continue
		}
		if json.Unmarshal(raw, dst) != nil {
			return nil, apiError(47001)
		}
		present[key] = true
	}
	return present, nil
}

// object reads the call's body, which must be one JSON object: 44002 for an empty body,
// 47001 for one that is unreadable, not JSON, not an object or has a duplicate key.
func (c *call) object() (object, error) {
	switch {
	case c.readErr != nil:
		return nil, apiError(47001)
	case len(bytes.TrimSpace(c.body)) == 0:
		return nil, apiError(44002)
	}
	var o object
	if json.Unmarshal(c.body, &o) != nil {
		return nil, apiError(47001)
	}
	return o, nil
}
