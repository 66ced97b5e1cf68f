# A customer managed KMS key with yearly rotation. Its policy delegates to IAM (the account's
# own policies say who may use it), so that each service's role names exactly the keys it uses;
# a key behind an AWS service (the table's) is also usable through that service (usable_via).
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # A key that encrypts an AWS service's resource (the table): that service uses it on behalf of
  # whoever calls it, so every principal of this account may use it through that service, and
  # only through it. Who may read or write the table is then decided by the table's own IAM
  # actions in each role, as with an AWS managed key; nobody can call KMS with it directly.
  dynamic "statement" {
    for_each = var.usable_via == null ? [] : [var.usable_via]
    content {
      sid       = "AccountUsesThroughService"
      actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [statement.value]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}
