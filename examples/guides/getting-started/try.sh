# In the directory of main.tf: start the mock WeChat API on a free port, point the
# provider at it, and plan.
wechat-mock -addr 127.0.0.1:0 -ready-file mock-url &
WECHAT_BASE_URL=$(wechat-mock -wait-ready-file mock-url)
export WECHAT_BASE_URL WECHAT_APP_ID=wx1234567890abcdef WECHAT_APP_SECRET=5f3c8a1e9b7d4c2f6a0e1b8d7c3f9a24
terraform init
terraform plan
