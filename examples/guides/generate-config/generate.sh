# Write the resource blocks of the import targets into generated.tf, and show the plan.
terraform plan -generate-config-out=generated.tf

# Review generated.tf, then import.
terraform apply
