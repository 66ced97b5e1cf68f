variable "region" {
  type    = string
  default = "eu-north-1"
}

variable "image" {
  description = "The image to run: <registry>/booking-platform:<commit or release tag> (.ci/deploy.sh)."
  type        = string
}

variable "domain_name" {
  description = "Where Production's REST API answers."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for domain_name."
  type        = string
}

variable "hosted_zone_id" {
  type    = string
  default = null
}

variable "provider_urls" {
  description = "Base URL by provider instance id: Production's provider endpoints."
  type        = map(string)
  default     = {}
}
