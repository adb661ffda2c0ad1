# A team member's working directory: the key, its policy and the service live in the shared
# control plane of `cmek server` (docs/team.md), not in a local .cmek/. Each member (or CI job)
# keeps its own state (or shares one through the pg backend, docs/backends.md).
#
#   cmek server --listen 0.0.0.0:8300 --credentials team-credentials.json   # once, on the server
#   export CMEK_ACCESS_KEY_ID=AKIDALICE CMEK_SECRET_ACCESS_KEY=...           # each member
#   cmek apply -auto-approve -var cmek_endpoint=http://cmek.internal:8300 -var team=payments
#   cmek data put payments-orders report.csv ./report.csv

variable "cmek_endpoint" {
  description = "URL that `cmek server --listen` printed (\"listening on ...\")."
  type        = string
  default     = "http://127.0.0.1:8300"
}

variable "team" {
  description = "Prefix of this team's names: names are unique on the shared server."
  type        = string
  default     = "payments"
}

provider "cmek" {
  # The shared control plane and, since no kms block says otherwise, its KMS too. The access key
  # and secret come from CMEK_ACCESS_KEY_ID / CMEK_SECRET_ACCESS_KEY (or access_key/secret_key).
  endpoint = var.cmek_endpoint
}

resource "cmek_kms_key" "orders" {
  region                  = "eu-west-1"
  description             = "CMEK for the ${var.team} orders database"
  alias                   = "alias/${var.team}-orders"
  deletion_window_in_days = 7
}

resource "cmek_kms_key_policy" "orders" {
  key_id            = cmek_kms_key.orders.key_id
  service_principal = "arn:aws:iam::000000000000:role/cmek-service"
}

resource "cmek_encrypted_service" "orders" {
  name    = "${var.team}-orders"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.orders.arn

  depends_on = [cmek_kms_key_policy.orders]
}

output "service_id" {
  value = cmek_encrypted_service.orders.id
}
