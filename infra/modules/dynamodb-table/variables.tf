variable "name" {
  description = "The table's name; the services get it as DYNAMODB_TABLE."
  type        = string
}

variable "kms_key_arn" {
  description = "The customer managed key the table is encrypted with."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse to delete the table (on wherever the data matters)."
  type        = bool
  default     = true
}
