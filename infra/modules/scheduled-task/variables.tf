variable "prefix" {
  type = string
}

variable "name" {
  description = "The job's name in topology.json (reconciler)."
  type        = string
}

variable "image" {
  type = string
}

variable "entry" {
  description = "Its entry, as topology.json names it."
  type        = string
}

variable "arguments" {
  description = "Arguments after the entry: --once for the reconciler, which otherwise loops."
  type        = list(string)
  default     = []
}

variable "schedule_expression" {
  description = "When it runs: rate(1 minute), cron(…)."
  type        = string
}

variable "enabled" {
  type    = bool
  default = true
}

variable "cpu" {
  type    = number
  default = 256
}

variable "memory" {
  type    = number
  default = 512
}

variable "region" {
  type = string
}

variable "cluster_arn" {
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

variable "otel_collector_image" {
  type    = string
  default = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3"
}
