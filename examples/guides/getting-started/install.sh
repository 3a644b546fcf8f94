# In a checkout of the provider's repository, at the version to use: build the provider
# into ~/.terraform.d/plugins, where terraform init finds it with no other configuration.
make install
