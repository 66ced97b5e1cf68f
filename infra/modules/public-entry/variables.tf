variable "prefix" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr" {
  type = string
}

variable "public_subnet_ids" {
  type = list(string)
}

variable "certificate_arn" {
  description = "The ACM certificate for domain_name."
  type        = string
}

variable "domain_name" {
  description = "Where Vården calls the API, e.g. api.booking.example.se."
  type        = string
}

variable "hosted_zone_id" {
  description = "The Route 53 zone of domain_name, when this account manages it."
  type        = string
  default     = null
}

variable "target_port" {
  description = "The REST API's port."
  type        = number
}

variable "requests_per_five_minutes" {
  description = "Requests one address may make in five minutes before the WAF blocks it."
  type        = number
  default     = 3000
}

variable "deletion_protection" {
  type    = bool
  default = true
}
