# Quickstart: a customer-managed key (with an alias and yearly rotation), a key policy that lets
# the database service use it, and a database service encrypted with it. It runs with no cloud
# account: the key lives in the local KMS under .cmek/ in this directory.
#
#   npx cmek -chdir=examples/quickstart apply -auto-approve
#   npx cmek -chdir=examples/quickstart plan -detailed-exitcode   # exit 0: nothing to do
#   npx cmek -chdir=examples/quickstart destroy -auto-approve

provider "cmek" {
  # The principal the database service calls the KMS as (this is also the default).
  service_principal = "arn:aws:iam::000000000000:role/cmek-service"
}

variable "region" {
  description = "Region of the key and of the service. They must match (CMEK_REGION_MISMATCH)."
  type        = string
  default     = "eu-west-1"
}

resource "cmek_kms_key" "orders" {
  region                  = var.region
  description             = "CMEK for the orders database"
  alias                   = "alias/quickstart-orders"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 7
}

# Grants the service principal the actions a CMEK service needs (kms:Decrypt,
# kms:GenerateDataKey, kms:DescribeKey, ...) on top of AWS's default key policy.
resource "cmek_kms_key_policy" "orders" {
  key_id            = cmek_kms_key.orders.key_id
  service_principal = "arn:aws:iam::000000000000:role/cmek-service"
}

resource "cmek_encrypted_service" "orders" {
  name    = "orders"
  region  = var.region
  kms_key = cmek_kms_key.orders.arn
  tags = {
    team = "payments"
  }

  # The key must be usable by the service before the service is created with it.
  depends_on = [cmek_kms_key_policy.orders]
}

output "key_arn" {
  description = "ARN of the customer-managed key."
  value       = cmek_kms_key.orders.arn
}

output "service_id" {
  value = cmek_encrypted_service.orders.id
}

output "service_status" {
  value = cmek_encrypted_service.orders.status
}
