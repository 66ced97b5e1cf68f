# A long batch job of the platform on AWS Batch (Fargate), started on a schedule by EventBridge
# Scheduler: the catalog sync, which may run for many minutes, retries a failed attempt, and
# must never run twice at once for one provider. The same image, with the job's entry as its
# command (scripts/run-entry.mjs: any `src/…ts` or `dist/….js`).
#
# Traces: Batch on Fargate runs one container per job here, so there is no collector beside it;
# the job logs to CloudWatch Logs and exports no telemetry (no OTEL_EXPORTER_OTLP_ENDPOINT).
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
}

data "aws_partition" "current" {}

locals {
  name = "${var.prefix}-${var.name}"
  environment = merge(
    { NODE_ENV = "production", AWS_REGION = var.region, OTEL_SERVICE_NAME = var.name },
    var.environment,
    { for name, arn in var.secret_ids : "${name}_SECRET_ID" => arn },
  )
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/${var.prefix}/${var.name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "assume_by_ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.assume_by_ecs_tasks.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role" "job" {
  name               = "${local.name}-job"
  assume_role_policy = data.aws_iam_policy_document.assume_by_ecs_tasks.json
}

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = values(var.secret_ids)
  }
}

# The job's only permission: reading the secrets it is given (its calls go to the platform's services).
resource "aws_iam_role_policy" "job" {
  count  = length(var.secret_ids) > 0 ? 1 : 0
  name   = "${local.name}-least-privilege"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job.json
}

resource "aws_batch_compute_environment" "this" {
  name = local.name
  type = "MANAGED"

  compute_resources {
    type               = "FARGATE"
    max_vcpus          = var.max_vcpus
    subnets            = var.subnet_ids
    security_group_ids = var.security_group_ids
  }
}

resource "aws_batch_job_queue" "this" {
  name     = local.name
  state    = "ENABLED"
  priority = 1

  compute_environment_order {
    order               = 1
    compute_environment = aws_batch_compute_environment.this.arn
  }
}

resource "aws_batch_job_definition" "this" {
  name                  = local.name
  type                  = "container"
  platform_capabilities = ["FARGATE"]

  retry_strategy {
    attempts = var.attempts
  }

  timeout {
    attempt_duration_seconds = var.timeout_seconds
  }

  container_properties = jsonencode({
    image            = var.image
    command          = concat([var.entry], var.arguments)
    jobRoleArn       = aws_iam_role.job.arn
    executionRoleArn = aws_iam_role.execution.arn
    resourceRequirements = [
      { type = "VCPU", value = tostring(var.vcpu) },
      { type = "MEMORY", value = tostring(var.memory) },
    ]
    environment                  = [for name in sort(keys(local.environment)) : { name = name, value = local.environment[name] }]
    networkConfiguration         = { assignPublicIp = "DISABLED" }
    fargatePlatformConfiguration = { platformVersion = "LATEST" }
    runtimePlatform              = { operatingSystemFamily = "LINUX", cpuArchitecture = "X86_64" }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = var.region
        awslogs-stream-prefix = var.name
      }
    }
  })
}

data "aws_iam_policy_document" "assume_by_scheduler" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${local.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.assume_by_scheduler.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    actions = ["batch:SubmitJob"]
    resources = [
      aws_batch_job_queue.this.arn,
      # Any revision of this job's definition.
      "arn:${data.aws_partition.current.partition}:batch:${var.region}:*:job-definition/${local.name}:*",
    ]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${local.name}-submit-job"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  name                = local.name
  schedule_expression = var.schedule_expression

  flexible_time_window {
    mode = "OFF"
  }

  target {
    # EventBridge Scheduler's universal target: the Batch API's SubmitJob.
    arn      = "arn:${data.aws_partition.current.partition}:scheduler:::aws-sdk:batch:submitJob"
    role_arn = aws_iam_role.scheduler.arn
    input = jsonencode({
      JobName       = local.name
      JobQueue      = aws_batch_job_queue.this.arn
      JobDefinition = aws_batch_job_definition.this.arn
    })
  }
}
