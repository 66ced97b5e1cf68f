variable "alias" {
  description = "The key's alias, without alias/ (e.g. booking-platform-prod-patient-data)."
  type        = string
}

variable "description" {
  description = "What the key protects."
  type        = string
}

variable "deletion_window_in_days" {
  description = "How long a scheduled deletion can still be cancelled."
  type        = number
  default     = 30
}

variable "usable_via" {
  description = "For a key that encrypts an AWS service's resource: that service's endpoint (kms:ViaService, e.g. dynamodb.eu-north-1.amazonaws.com), through which every principal of the account may use the key. Null for a key only the roles that name it may use (the patient-data key)."
  type        = string
  default     = null
}
