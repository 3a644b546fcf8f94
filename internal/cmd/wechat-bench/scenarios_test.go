package main

import "testing"

func TestMembersSchemaProblem(t *testing.T) {
	const provider = "registry.terraform.io/wechat-tf/wechat"
	schema := func(resources string) []byte {
		return []byte(`{"format_version":"1.0","provider_schemas":{"` + provider + `":{"resource_schemas":{` + resources + `}}}}`)
	}
	for _, c := range []struct {
		name, resources, want string
	}{
		{"present", `"wechat_tag":{"block":{}},"wechat_tag_members":{"block":{"attributes":{"tag_id":{},"openids":{},"exclusive":{}}}}`, ""},
		{"absent", `"wechat_tag":{"block":{}}`, "the provider has no wechat_tag_members resource"},
		{"without exclusive", `"wechat_tag_members":{"block":{"attributes":{"tag_id":{},"openids":{}}}}`, "wechat_tag_members has no attribute exclusive"},
	} {
		got, err := membersSchemaProblem(schema(c.resources), provider)
		if err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	if _, err := membersSchemaProblem(schema(""), "registry.opentofu.org/wechat-tf/wechat"); err == nil {
		t.Error("a schema without the provider was accepted")
	}
	if _, err := membersSchemaProblem([]byte("Warning: not JSON"), provider); err == nil {
		t.Error("output that is not JSON was accepted")
	}
}
