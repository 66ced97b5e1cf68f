# The whole Booking Platform in one AWS account and region: what `npm start` runs locally
# (topology.json), as AWS runs it. Each environment's root (../../environments/<name>) calls this
# module with its own sizes and names; nothing else differs between environments.
#
#   network      a VPC of its own: public subnets for the load balancer, private ones for the tasks
#   services     every service of topology.json on ECS Fargate, found through Cloud Map DNS
#                (BP_URL_<NAME> = http://<name>.<namespace>:<port>), each with a role of its own
#   jobs         the reconciler (a scheduled ECS task) and the catalog sync (AWS Batch, on a schedule)
#   one-off      the patient data migration: a task definition an operator runs (docs/deployment.md)
#   state        the DynamoDB table, encrypted with a key of its own; the patient-data key
#   secrets      in Secrets Manager, read by the services that name them (<NAME>_SECRET_ID)
#   public entry the load balancer with TLS and a WAF, in front of the REST API only
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  prefix    = "booking-platform-${var.environment}"
  namespace = "${var.environment}.booking.internal"

  # Where each service listens, as in topology.json: the others reach it by its Cloud Map name.
  ports = {
    "catalog-access"      = 7301
    "booking-access"      = 7302
    "provider-access"     = 7303
    "availability-engine" = 7201
    "reservation-engine"  = 7202
    "booking-manager"     = 7101
    "onboarding-manager"  = 7102
    "api"                 = 8080
  }
  service_urls = {
    for name, port in local.ports : "BP_URL_${upper(replace(name, "-", "_"))}" => "http://${name}.${local.namespace}:${port}"
  }
  provider_urls = {
    for id, url in var.provider_urls : "BP_PROVIDER_URL_${upper(replace(id, "/[^a-zA-Z0-9]/", "_"))}" => url
  }
  # What every process gets, as npm start gives every process the same settings (src/host/system-runner.ts).
  environment = merge(
    {
      DYNAMODB_TABLE    = module.table.name
      BP_PROVIDERS_FILE = var.providers_file
    },
    local.service_urls,
    local.provider_urls,
  )

  # BP_PATIENT_ID_SECRET_PREVIOUS holds the old patient id secret while it is rotated out; only the
  # migration reads it, and only when an operator points it there (docs/deployment.md).
  secret_names = concat(["BP_SLOT_TOKEN_SECRET", "BP_PATIENT_ID_SECRET", "BP_PATIENT_ID_SECRET_PREVIOUS", "BP_PLATFORM_TOKEN"], var.provider_credentials)
  secrets      = module.secrets.arns
  # Every gRPC call inside the platform carries the platform token, and every service checks it.
  platform_token = { BP_PLATFORM_TOKEN = local.secrets["BP_PLATFORM_TOKEN"] }
  # Where an onboarded clinic chain's credentials go: provider instances name a secret
  # (credentials.secretId) that provider-access reads on use, so it may read these and no others.
  provider_secret_prefix = "booking-platform/${var.environment}/providers/"
  provider_secrets = [
    "arn:${data.aws_partition.current.partition}:secretsmanager:${var.region}:${data.aws_caller_identity.current.account_id}:secret:${local.provider_secret_prefix}*",
  ]

  default_capacity = { min = 2, max = 6, cpu = 256, memory = 512 }
  capacity         = { for name, _ in local.ports : name => merge(local.default_capacity, lookup(var.capacity, name, {})) }

  private_subnets = [for i, _ in var.availability_zones : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets  = [for i, _ in var.availability_zones : cidrsubnet(var.vpc_cidr, 8, 200 + i)]
}

# --- network -------------------------------------------------------------------------------

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 6.0"

  name                 = local.prefix
  cidr                 = var.vpc_cidr
  azs                  = var.availability_zones
  private_subnets      = local.private_subnets
  public_subnets       = local.public_subnets
  enable_nat_gateway   = true
  single_nat_gateway   = var.single_nat_gateway
  enable_dns_hostnames = true
  enable_dns_support   = true
}

# DynamoDB traffic stays inside AWS's network instead of crossing the NAT gateways.
resource "aws_vpc_endpoint" "dynamodb" {
  vpc_id            = module.vpc.vpc_id
  service_name      = "com.amazonaws.${var.region}.dynamodb"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = module.vpc.private_route_table_ids
}

resource "aws_security_group" "services" {
  name        = "${local.prefix}-services"
  description = "The platform's tasks: gRPC among themselves, HTTP from the load balancer, out to AWS and the providers"
  vpc_id      = module.vpc.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "services_from_services" {
  security_group_id            = aws_security_group.services.id
  referenced_security_group_id = aws_security_group.services.id
  from_port                    = 7000
  to_port                      = 8999
  ip_protocol                  = "tcp"
}

resource "aws_vpc_security_group_ingress_rule" "api_from_load_balancer" {
  security_group_id            = aws_security_group.services.id
  referenced_security_group_id = module.public_entry.security_group_id
  from_port                    = local.ports.api
  to_port                      = local.ports.api
  ip_protocol                  = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "services_out" {
  security_group_id = aws_security_group.services.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

resource "aws_ecs_cluster" "this" {
  name = local.prefix
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name = local.namespace
  vpc  = module.vpc.vpc_id
}

# --- state and secrets ---------------------------------------------------------------------

module "table_key" {
  source      = "../kms-key"
  alias       = "${local.prefix}-table"
  description = "Encrypts the Booking Platform's DynamoDB table (${var.environment})"
  # DynamoDB uses it for whoever reads or writes the table; the roles' table actions decide who may.
  usable_via = "dynamodb.${var.region}.amazonaws.com"
}

module "patient_data_key" {
  source      = "../kms-key"
  alias       = "${local.prefix}-patient-data"
  description = "Encrypts patients' personal data before it reaches DynamoDB; booking-access and the patient data migration alone use it (${var.environment})"
}

module "table" {
  source              = "../dynamodb-table"
  name                = local.prefix
  kms_key_arn         = module.table_key.arn
  deletion_protection = var.table_deletion_protection
}

module "secrets" {
  source = "../secrets"
  prefix = "booking-platform/${var.environment}"
  names  = local.secret_names
}

# --- services, bottom layer first (topology.json) ------------------------------------------

module "catalog_access" {
  source = "../ecs-service"

  name  = "catalog-access"
  entry = "src/access/catalog/server.ts"
  port  = local.ports["catalog-access"]
  # The catalog in batches; provider catalogs and their syncs in transactions (put, update, delete);
  # DescribeTable at start (prepareTable: on AWS the services check the table, never create it).
  table_arn = module.table.arn
  table_actions = [
    "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:BatchWriteItem",
    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
  ]
  secret_ids = local.platform_token

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  environment          = local.environment
  min_count            = local.capacity["catalog-access"].min
  max_count            = local.capacity["catalog-access"].max
  cpu                  = local.capacity["catalog-access"].cpu
  memory               = local.capacity["catalog-access"].memory
  cluster_arn          = aws_ecs_cluster.this.arn
  cluster_name         = aws_ecs_cluster.this.name
  namespace_id         = aws_service_discovery_private_dns_namespace.this.id
  subnet_ids           = module.vpc.private_subnets
  security_group_ids   = [aws_security_group.services.id]
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

module "booking_access" {
  source = "../ecs-service"

  name  = "booking-access"
  entry = "src/access/booking/server.ts"
  port  = local.ports["booking-access"]
  # Transactions are authorised item action by item action (put, update, delete: none of its
  # transactions has a condition check of its own); DescribeTable at start. Patient data is
  # encrypted with the AWS Encryption SDK under the patient-data key: GenerateDataKey, Decrypt.
  table_arn     = module.table.arn
  table_actions = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
  kms_key_arns  = [module.patient_data_key.arn]
  secret_ids    = local.platform_token

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  environment          = merge(local.environment, { BP_PATIENT_DATA_KEY_ARN = module.patient_data_key.arn })
  min_count            = local.capacity["booking-access"].min
  max_count            = local.capacity["booking-access"].max
  cpu                  = local.capacity["booking-access"].cpu
  memory               = local.capacity["booking-access"].memory
  cluster_arn          = aws_ecs_cluster.this.arn
  cluster_name         = aws_ecs_cluster.this.name
  namespace_id         = aws_service_discovery_private_dns_namespace.this.id
  subnet_ids           = module.vpc.private_subnets
  security_group_ids   = [aws_security_group.services.id]
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

module "provider_access" {
  source = "../ecs-service"

  name  = "provider-access"
  entry = "src/access/provider/server.ts"
  port  = local.ports["provider-access"]
  # Provider instances are items of the table (instance-store.ts: get, query, and transactions
  # that put an instance and update the version stamp); DescribeTable at start. Credentials by
  # reference: the environment variables the seeded instances name (provider_credentials, as
  # secrets given at start), and the secrets onboarded instances name, read on use.
  table_arn            = module.table.arn
  table_actions        = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"]
  secret_ids           = merge(local.platform_token, { for name in var.provider_credentials : name => local.secrets[name] })
  readable_secret_arns = local.provider_secrets

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  environment          = local.environment
  min_count            = local.capacity["provider-access"].min
  max_count            = local.capacity["provider-access"].max
  cpu                  = local.capacity["provider-access"].cpu
  memory               = local.capacity["provider-access"].memory
  cluster_arn          = aws_ecs_cluster.this.arn
  cluster_name         = aws_ecs_cluster.this.name
  namespace_id         = aws_service_discovery_private_dns_namespace.this.id
  subnet_ids           = module.vpc.private_subnets
  security_group_ids   = [aws_security_group.services.id]
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

module "availability_engine" {
  source = "../ecs-service"

  name       = "availability-engine"
  entry      = "src/engines/availability/server.ts"
  port       = local.ports["availability-engine"]
  secret_ids = merge(local.platform_token, { BP_SLOT_TOKEN_SECRET = local.secrets["BP_SLOT_TOKEN_SECRET"] })

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  environment          = local.environment
  min_count            = local.capacity["availability-engine"].min
  max_count            = local.capacity["availability-engine"].max
  cpu                  = local.capacity["availability-engine"].cpu
  memory               = local.capacity["availability-engine"].memory
  cluster_arn          = aws_ecs_cluster.this.arn
  cluster_name         = aws_ecs_cluster.this.name
  namespace_id         = aws_service_discovery_private_dns_namespace.this.id
  subnet_ids           = module.vpc.private_subnets
  security_group_ids   = [aws_security_group.services.id]
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

module "reservation_engine" {
  source = "../ecs-service"

  name       = "reservation-engine"
  entry      = "src/engines/reservation/server.ts"
  port       = local.ports["reservation-engine"]
  secret_ids = local.platform_token

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  environment          = local.environment
  min_count            = local.capacity["reservation-engine"].min
  max_count            = local.capacity["reservation-engine"].max
  cpu                  = local.capacity["reservation-engine"].cpu
  memory               = local.capacity["reservation-engine"].memory
  cluster_arn          = aws_ecs_cluster.this.arn
  cluster_name         = aws_ecs_cluster.this.name
  namespace_id         = aws_service_discovery_private_dns_namespace.this.id
  subnet_ids           = module.vpc.private_subnets
  security_group_ids   = [aws_security_group.services.id]
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

module "booking_manager" {
  source = "../ecs-service"

  name       = "booking-manager"
  entry      = "src/managers/booking/server.ts"
  port       = local.ports["booking-manager"]
  secret_ids = merge(local.platform_token, { BP_PATIENT_ID_SECRET = local.secrets["BP_PATIENT_ID_SECRET"] })

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  environment          = local.environment
  min_count            = local.capacity["booking-manager"].min
  max_count            = local.capacity["booking-manager"].max
  cpu                  = local.capacity["booking-manager"].cpu
  memory               = local.capacity["booking-manager"].memory
  cluster_arn          = aws_ecs_cluster.this.arn
  cluster_name         = aws_ecs_cluster.this.name
  namespace_id         = aws_service_discovery_private_dns_namespace.this.id
  subnet_ids           = module.vpc.private_subnets
  security_group_ids   = [aws_security_group.services.id]
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

# It calls provider-access and catalog-access only: no table, no key, the platform token.
module "onboarding_manager" {
  source = "../ecs-service"

  name       = "onboarding-manager"
  entry      = "src/managers/onboarding/server.ts"
  port       = local.ports["onboarding-manager"]
  secret_ids = local.platform_token

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  environment          = local.environment
  min_count            = local.capacity["onboarding-manager"].min
  max_count            = local.capacity["onboarding-manager"].max
  cpu                  = local.capacity["onboarding-manager"].cpu
  memory               = local.capacity["onboarding-manager"].memory
  cluster_arn          = aws_ecs_cluster.this.arn
  cluster_name         = aws_ecs_cluster.this.name
  namespace_id         = aws_service_discovery_private_dns_namespace.this.id
  subnet_ids           = module.vpc.private_subnets
  security_group_ids   = [aws_security_group.services.id]
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

module "api" {
  source = "../ecs-service"

  name  = "api"
  entry = "src/client/api/server.ts"
  port  = local.ports["api"]
  # It verifies API keys, which live in the table (GetItem by key id; keys are listed and made
  # by `npm run keys`, never by the API). It does not prepare the table at start.
  table_arn        = module.table.arn
  table_actions    = ["dynamodb:GetItem"]
  secret_ids       = local.platform_token
  target_group_arn = module.public_entry.target_group_arn

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  environment          = local.environment
  min_count            = local.capacity["api"].min
  max_count            = local.capacity["api"].max
  cpu                  = local.capacity["api"].cpu
  memory               = local.capacity["api"].memory
  cluster_arn          = aws_ecs_cluster.this.arn
  cluster_name         = aws_ecs_cluster.this.name
  namespace_id         = aws_service_discovery_private_dns_namespace.this.id
  subnet_ids           = module.vpc.private_subnets
  security_group_ids   = [aws_security_group.services.id]
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

# --- jobs ----------------------------------------------------------------------------------

module "reconciler" {
  source = "../scheduled-task"

  name      = "reconciler"
  entry     = "src/client/reconciler/main.ts"
  arguments = ["--once"]
  # Settled reservations are conditional writes, so a run that overlaps the next changes nothing twice.
  schedule_expression = var.reconcile_schedule
  secret_ids          = local.platform_token

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  environment          = local.environment
  cluster_arn          = aws_ecs_cluster.this.arn
  subnet_ids           = module.vpc.private_subnets
  security_group_ids   = [aws_security_group.services.id]
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

# The catalog sync: every active provider instance's catalog, once per run (--all), by asking the
# onboarding manager (BP_URL_ONBOARDING_MANAGER) to sync it; the platform token is all it holds.
# A run may take many minutes, so AWS Batch runs it, retried once; a second run at once leaves
# alone what the first one holds, and a run cut short is taken over and finished by the next.
module "catalog_sync" {
  source = "../batch-job"

  name                = "catalog-sync"
  entry               = "src/client/sync/main.ts"
  arguments           = ["--all"]
  schedule_expression = var.catalog_sync_schedule
  secret_ids          = local.platform_token

  prefix             = local.prefix
  image              = var.image
  region             = var.region
  environment        = local.environment
  subnet_ids         = module.vpc.private_subnets
  security_group_ids = [aws_security_group.services.id]
  log_retention_days = var.log_retention_days
}

# --- one-off tasks ---------------------------------------------------------------------------

# `npm run migrate -- patient-data` in AWS: a task definition and a role of its own, run by an
# operator with `aws ecs run-task` (docs/deployment.md), never by a schedule. It scans the table for
# reservations (consistent) and migrates each in one transaction (update the reservation, put the
# patient alias when its id changes), re-reading an item that changed meanwhile (GetItem); it
# encrypts and decrypts patient data under the patient-data key and derives patient ids with
# BP_PATIENT_ID_SECRET. BP_PATIENT_ID_SECRET_PREVIOUS it may read, and is given only during a
# rotation (its id as an override of run-task), since that secret has no value otherwise.
# It never creates nor describes the table, and calls no service: no URLs, no platform token.
module "patient_data_migration" {
  source = "../task-definition"

  name                 = "migrate-patient-data"
  entry                = "src/access/booking/migration/main.ts"
  arguments            = ["patient-data"]
  table_arn            = module.table.arn
  table_actions        = ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"]
  kms_key_arns         = [module.patient_data_key.arn]
  secret_ids           = { BP_PATIENT_ID_SECRET = local.secrets["BP_PATIENT_ID_SECRET"] }
  readable_secret_arns = [local.secrets["BP_PATIENT_ID_SECRET_PREVIOUS"]]
  environment = {
    DYNAMODB_TABLE          = module.table.name
    BP_PATIENT_DATA_KEY_ARN = module.patient_data_key.arn
  }

  prefix               = local.prefix
  image                = var.image
  region               = var.region
  cpu                  = 512
  memory               = 1024
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

# --- the public entry ----------------------------------------------------------------------

module "public_entry" {
  source = "../public-entry"

  prefix                    = local.prefix
  vpc_id                    = module.vpc.vpc_id
  vpc_cidr                  = var.vpc_cidr
  public_subnet_ids         = module.vpc.public_subnets
  certificate_arn           = var.certificate_arn
  domain_name               = var.domain_name
  hosted_zone_id            = var.hosted_zone_id
  target_port               = local.ports.api
  requests_per_five_minutes = var.requests_per_five_minutes
  deletion_protection       = var.table_deletion_protection
}
