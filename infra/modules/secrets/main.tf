# The secrets the services read at start (src/utilities/config/secrets.ts): each service gets
# `<NAME>_SECRET_ID` naming its secret and reads the value itself, with its task role. Terraform
# creates the secrets, never their values, so that no secret is in Terraform's state: an operator
# sets each value once (docs/deployment.md), and rotates it the same way.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
}

resource "aws_secretsmanager_secret" "this" {
  for_each                = toset(var.names)
  name                    = "${var.prefix}/${each.key}"
  description             = "${each.key} of the Booking Platform (${var.prefix}); read by the services that name it in ${each.key}_SECRET_ID."
  recovery_window_in_days = var.recovery_window_in_days
}
