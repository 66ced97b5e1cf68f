variable "prefix" {
  description = "Secret names start with it, e.g. booking-platform/prod."
  type        = string
}

variable "names" {
  description = "The environment variable each secret stands in for (BP_SLOT_TOKEN_SECRET, provider credentials …)."
  type        = list(string)
}

variable "recovery_window_in_days" {
  description = "How long a deleted secret can be restored."
  type        = number
  default     = 30
}
