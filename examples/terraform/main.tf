# The quickstart for terraform: a customer-managed key, the key policy that lets the database
# service use it, and a service encrypted with it, managed by the `terraform` binary through the
# cmek provider plugin. No cloud account: the key lives in the local KMS under .cmek/ here.
#
#   npx cmek provider install --dir .terraform-plugins
#   terraform init -plugin-dir=.terraform-plugins && terraform apply
#
# `terraform plan` enforces the CMEK rules before anything exists: put the service in another
# region than the key and the plan fails with CMEK_REGION_MISMATCH at the kms_key line.

terraform {
  required_providers {
    cmek = {
      source = "registry.terraform.io/cmek/cmek"
    }
  }
}

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
  alias                   = "alias/terraform-orders"
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
  description = "Id of the encrypted service (cmek data put/get take its name: orders)."
  value       = cmek_encrypted_service.orders.id
}
