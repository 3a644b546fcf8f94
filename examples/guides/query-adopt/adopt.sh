# Find the account's tags and their followers, and write an import block and a
# resource block for each into adopted.tf.
terraform query -generate-config-out=adopted.tf

# Review adopted.tf, then plan: only imports, nothing to add, change or destroy.
terraform plan -out=adopt.tfplan

# Apply exactly the plan that was reviewed.
terraform apply adopt.tfplan
