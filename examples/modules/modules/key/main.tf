# A customer-managed key with rotation on and the policy that lets the database service use it.

variable "region" {
  description = "Region of the key."
  type        = string
}

variable "name" {
  description = "What the key protects; its alias is alias/NAME."
  type        = string
}

resource "cmek_kms_key" "this" {
  region                  = var.region
  description             = "CMEK for the ${var.name} database"
  alias                   = "alias/${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 7
}

resource "cmek_kms_key_policy" "this" {
  key_id            = cmek_kms_key.this.key_id
  service_principal = "arn:aws:iam::000000000000:role/cmek-service"
}

output "arn" {
  description = "The key's ARN (known after apply)."
  value       = cmek_kms_key.this.arn
}
