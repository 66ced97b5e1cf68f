# Production: the Booking Platform as infra/modules/platform makes it, with Production's sizes.
# .ci/deploy.sh prod applies it with the image to run; the other inputs come from the
# pipeline's bp-production context as TF_VAR_<name> (docs/deployment.md).
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
  # The bucket is given at init (-backend-config="bucket=…"), one per account.
  backend "s3" {
    key          = "booking-platform/prod.tfstate"
    region       = "eu-north-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project     = "booking-platform"
      environment = "prod"
    }
  }
}

module "platform" {
  source = "../../modules/platform"

  environment          = "prod"
  region               = var.region
  image                = var.image
  vpc_cidr             = "10.24.0.0/16"
  availability_zones   = ["${var.region}a", "${var.region}b", "${var.region}c"]
  single_nat_gateway   = false
  domain_name          = var.domain_name
  certificate_arn      = var.certificate_arn
  hosted_zone_id       = var.hosted_zone_id
  provider_urls        = var.provider_urls
  provider_credentials = ["KLINIKBOKNING_DEMO_API_KEY", "FHIR_UPPSALA_TOKEN"]
  log_retention_days   = 365

  table_deletion_protection = true
  capacity = {
    "api"                 = { min = 3, max = 12, cpu = 512, memory = 1024 }
    "booking-manager"     = { min = 3, max = 12 }
    "availability-engine" = { min = 3, max = 12 }
    "provider-access"     = { min = 3, max = 12, cpu = 512, memory = 1024 }
  }
}

output "api_url" {
  value = module.platform.api_url
}

output "secret_arns" {
  value = module.platform.secret_arns
}

output "patient_data_migration" {
  description = "What `aws ecs run-task` needs to run the patient data migration (docs/deployment.md)."
  value       = module.platform.patient_data_migration
}
