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
