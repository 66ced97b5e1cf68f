variable "prefix" {
  type = string
}

variable "name" {
  description = "The job's name (catalog-sync)."
  type        = string
}

variable "image" {
  type = string
}

variable "entry" {
  description = "The job's entry: src/….ts or dist/….js in the image."
  type        = string
}

variable "arguments" {
  type    = list(string)
  default = []
}

variable "schedule_expression" {
  description = "When it runs, e.g. cron(0 3 * * ? *)."
  type        = string
}

variable "vcpu" {
  type    = number
  default = 0.5
}

variable "memory" {
  description = "MiB."
  type        = number
  default     = 1024
}

variable "max_vcpus" {
  description = "The compute environment's ceiling."
  type        = number
  default     = 4
}

variable "attempts" {
  description = "Attempts per run (the sync is idempotent, so a retry is safe)."
  type        = number
  default     = 2
}

variable "timeout_seconds" {
  type    = number
  default = 3600
}

variable "region" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "security_group_ids" {
  type = list(string)
}

variable "environment" {
  type    = map(string)
  default = {}
}

variable "secret_ids" {
  type    = map(string)
  default = {}
}

variable "log_retention_days" {
  type    = number
  default = 30
}
