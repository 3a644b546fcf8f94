go install github.com/wechat-tf/terraform-provider-wechat/cmd/wechat-mock@latest
wechat-mock -addr 127.0.0.1:0 -ready-file mock-url \
  -followers oK3vT8sQpZ1mYx7RbN2cLd9WfE4a -tags 老客户 &
WECHAT_BASE_URL=$(wechat-mock -wait-ready-file mock-url) # once the mock listens

export WECHAT_BASE_URL                  # plain http is accepted for loopback only
export WECHAT_APP_ID=wx1234567890abcdef # the mock's defaults (-app-id, -app-secret)
export WECHAT_APP_SECRET=5f3c8a1e9b7d4c2f6a0e1b8d7c3f9a24
terraform init -input=false
terraform test
