# Local modules: a key module and a database module, called once per region with for_each.
# Each region's database reads the key its key module made (module.keys[each.key].arn), so the
# CMEK rules check every pair across the modules. It runs with no cloud account (the local KMS
# under .cmek/).
#
#   npx cmek -chdir=examples/modules apply -auto-approve
#   npx cmek -chdir=examples/modules state list
#   npx cmek -chdir=examples/modules destroy -auto-approve

variable "regions" {
  description = "Instance key => region of that instance's key and database."
  type        = map(string)
  default = {
    eu = "eu-west-1"
    us = "us-east-1"
  }
}

module "keys" {
  source   = "./modules/key"
  for_each = var.regions

  region = each.value
  name   = "orders-${each.key}"
}

module "database" {
  source   = "./modules/database"
  for_each = var.regions

  name    = "orders-${each.key}"
  region  = each.value
  key_arn = module.keys[each.key].arn

  depends_on = [module.keys]
}

output "databases" {
  description = "The database of each region, by instance key."
  value       = { for k, db in module.database : k => db.name }
}

output "key_arns" {
  description = "The key ARN of each region, by instance key."
  value       = { for k, key in module.keys : k => key.arn }
}
