# for_each: one customer-managed key and one encrypted database per region, from a map. Each
# database reads the key of its own region (cmek_kms_key.regional[each.key]), so the CMEK
# rules check every pair. It runs with no cloud account (the local KMS under .cmek/).
#
#   npx cmek -chdir=examples/for-each apply -auto-approve
#   npx cmek -chdir=examples/for-each state list
#   npx cmek -chdir=examples/for-each destroy -auto-approve

variable "regions" {
  description = "Instance key => region of the key and database of that key."
  type        = map(string)
  default = {
    eu = "eu-west-1"
    us = "us-east-1"
  }
}

resource "cmek_kms_key" "regional" {
  for_each                = var.regions
  region                  = each.value
  description             = "CMEK for the ${each.key} orders database"
  alias                   = "alias/orders-${each.key}"
  enable_key_rotation     = true
  deletion_window_in_days = 7
}

resource "cmek_kms_key_policy" "regional" {
  for_each          = var.regions
  key_id            = cmek_kms_key.regional[each.key].key_id
  service_principal = "arn:aws:iam::000000000000:role/cmek-service"
}

resource "cmek_encrypted_service" "orders" {
  for_each = var.regions
  name     = "orders-${each.key}"
  region   = each.value
  kms_key  = cmek_kms_key.regional[each.key].arn

  depends_on = [cmek_kms_key_policy.regional]
}

output "key_arns" {
  description = "The ARN of each region's key, by instance key."
  value       = { keys = keys(cmek_kms_key.regional), eu = cmek_kms_key.regional["eu"].arn }
}
