variable "prefix" {
  description = "Names start with it: booking-platform-<environment>."
  type        = string
}

variable "name" {
  description = "The process's name in topology.json (catalog-access, reconciler …); also its OTEL_SERVICE_NAME."
  type        = string
}

variable "image" {
  description = "The platform's image (Dockerfile), by tag or digest."
  type        = string
}

variable "entry" {
  description = "The entry the image runs, as topology.json names it (src/…/server.ts), or any dist/….js."
  type        = string
}

variable "arguments" {
  description = "Arguments after the entry (the reconciler's --once)."
  type        = list(string)
  default     = []
}

variable "port" {
  description = "The port it serves on (PORT); null for a job."
  type        = number
  default     = null
}

variable "cpu" {
  description = "Fargate CPU units (256 = 0.25 vCPU), for the process and its collector together."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate memory in MiB, for the process and its collector together."
  type        = number
  default     = 512
}

variable "region" {
  description = "The AWS region (AWS_REGION, and where the logs go)."
  type        = string
}

variable "environment" {
  description = "Plain settings: DYNAMODB_TABLE, BP_URL_<SERVICE> …"
  type        = map(string)
  default     = {}
}

variable "secret_ids" {
  description = "Secrets it reads, ARN by variable name: it gets <NAME>_SECRET_ID and may read those secrets only."
  type        = map(string)
  default     = {}
}

variable "readable_secret_arns" {
  description = "Secrets it may also read without being given their id at start (ARNs, or ARN patterns ending in *): provider-access's onboarded providers' credentials, the previous patient id secret during a rotation."
  type        = list(string)
  default     = []
}

variable "table_arn" {
  description = "The platform's table, when it uses it."
  type        = string
  default     = null
}

variable "table_actions" {
  description = "The DynamoDB actions it uses on the table and its indexes; none for a process that never touches it."
  type        = list(string)
  default     = []
}

variable "kms_key_arns" {
  description = "Customer managed keys it uses itself (the patient-data key)."
  type        = list(string)
  default     = []
}

variable "kms_actions" {
  description = "What it does with kms_key_arns. The AWS Encryption SDK with a KMS generator key (booking-access, the migration) asks KMS for a data key to encrypt and to decrypt it again; it never calls kms:Encrypt."
  type        = list(string)
  default     = ["kms:GenerateDataKey", "kms:Decrypt"]
}

variable "log_retention_days" {
  description = "How long CloudWatch keeps its logs."
  type        = number
  default     = 30
}

variable "otel_collector_image" {
  description = "The AWS Distro for OpenTelemetry collector beside each process."
  type        = string
  default     = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3"
}
