# An encrypted database under a customer-managed key given by its ARN.

variable "name" {
  description = "Name of the database."
  type        = string
}

variable "region" {
  description = "Region of the database; the key must be in the same region."
  type        = string
}

variable "key_arn" {
  description = "ARN of the customer-managed key that encrypts the database."
  type        = string
}

resource "cmek_encrypted_service" "this" {
  name    = var.name
  region  = var.region
  kms_key = var.key_arn
}

output "name" {
  description = "The database's name (for cmek data put/get)."
  value       = cmek_encrypted_service.this.name
}
