# The job: WECHAT_APP_ID and WECHAT_APP_SECRET come from the CI system's secret store.
terraform init -input=false
set +e
terraform plan -input=false -lock=false -detailed-exitcode -out=tfplan
code=$?
set -e
case $code in
  0) echo "No changes." ;;
  2) terraform show -no-color tfplan > plan.txt ;; # attach to the review
  *) exit "$code" ;;
esac
