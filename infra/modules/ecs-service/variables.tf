variable "prefix" {
  description = "Names start with it: booking-platform-<environment>."
  type        = string
}

variable "name" {
  description = "The service's name in topology.json; also its Cloud Map name."
  type        = string
}

variable "image" {
  description = "The platform's image."
  type        = string
}

variable "entry" {
  description = "Its entry, as topology.json names it."
  type        = string
}

variable "port" {
  description = "The port it serves on, as in topology.json."
  type        = number
}

variable "cpu" {
  description = "Fargate CPU units per task."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate memory per task, MiB."
  type        = number
  default     = 512
}

variable "min_count" {
  description = "Tasks at least (two or more where a lost task must not interrupt service)."
  type        = number
  default     = 2
}

variable "max_count" {
  description = "Tasks at most."
  type        = number
  default     = 6
}

variable "cpu_target" {
  description = "Average CPU utilisation (%) the autoscaler keeps the service at."
  type        = number
  default     = 60
}

variable "region" {
  type = string
}

variable "cluster_arn" {
  type = string
}

variable "cluster_name" {
  type = string
}

variable "namespace_id" {
  description = "The Cloud Map private DNS namespace the services find each other in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in."
  type        = list(string)
}

variable "security_group_ids" {
  type = list(string)
}

variable "target_group_arn" {
  description = "The public load balancer's target group, for the one service behind it (the REST API)."
  type        = string
  default     = null
}

variable "environment" {
  description = "Plain settings (see ../task-definition)."
  type        = map(string)
  default     = {}
}

variable "secret_ids" {
  description = "Secrets it reads, ARN by variable name (see ../task-definition)."
  type        = map(string)
  default     = {}
}

variable "readable_secret_arns" {
  description = "Secrets it may read on use, beyond secret_ids (see ../task-definition)."
  type        = list(string)
  default     = []
}

variable "table_arn" {
  type    = string
  default = null
}

variable "table_actions" {
  description = "The DynamoDB actions it uses; none for a service that never touches the table."
  type        = list(string)
  default     = []
}

variable "kms_key_arns" {
  type    = list(string)
  default = []
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "otel_collector_image" {
  type    = string
  default = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3"
}
