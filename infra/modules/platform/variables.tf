variable "environment" {
  description = "dev, staging or prod: part of every name."
  type        = string
}

variable "region" {
  type = string
}

variable "image" {
  description = "The platform's image for this deployment (.ci/deploy.sh gives the commit's or the release's)."
  type        = string
}

variable "vpc_cidr" {
  type = string
}

variable "availability_zones" {
  description = "Two or three: each gets a private and a public subnet."
  type        = list(string)
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper, fine where an outage of one zone may stop the environment)."
  type        = bool
  default     = false
}

variable "domain_name" {
  description = "Where the REST API answers, e.g. api.booking.example.se."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for domain_name, in this region."
  type        = string
}

variable "hosted_zone_id" {
  description = "Route 53 zone of domain_name, when this account manages it."
  type        = string
  default     = null
}

variable "capacity" {
  description = "Per service (topology name): min and max tasks, cpu units and memory MiB; anything left out is 2, 6, 256, 512."
  type        = map(map(number))
  default     = {}
}

variable "table_deletion_protection" {
  description = "Refuse to delete the table and the load balancer."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "providers_file" {
  description = "A provider instances file in the image (BP_PROVIDERS_FILE) that seeds an empty table; empty = none. The demo file points at simulators: only a development environment should name it."
  type        = string
  default     = ""
}

variable "provider_urls" {
  description = "Base URL by provider instance id, overriding the file's (BP_PROVIDER_URL_<ID>)."
  type        = map(string)
  default     = {}
}

variable "provider_credentials" {
  description = "The environment variables the providers file names for credentials (apiKeyEnv): each becomes a secret only provider-access reads. Instances onboarded later name a secret under booking-platform/<environment>/providers/ instead (no deploy)."
  type        = list(string)
  default     = []
}

variable "reconcile_schedule" {
  description = "How often the reconciler runs; EventBridge Scheduler's finest rate is a minute."
  type        = string
  default     = "rate(1 minute)"
}

variable "catalog_sync_schedule" {
  description = "When the catalog sync runs (EventBridge Scheduler, UTC): every active provider instance's catalog each time."
  type        = string
  default     = "cron(0 3 * * ? *)"
}

variable "requests_per_five_minutes" {
  description = "The WAF's limit per client address."
  type        = number
  default     = 3000
}

variable "otel_collector_image" {
  type    = string
  default = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3"
}
