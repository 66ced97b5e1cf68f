# A job of the platform run on a schedule: EventBridge Scheduler starts its task (the same image
# and entry as under npm start, e.g. the reconciler with --once) on Fargate, in the private
# subnets where the services' Cloud Map names resolve. A scheduled ECS task rather than a Lambda:
# AWS then runs the very entry point npm start runs, from the same image, with the same
# telemetry, inside the VPC, instead of a second packaging of the code behind a Lambda handler.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
}

module "task" {
  source = "../task-definition"

  prefix               = var.prefix
  name                 = var.name
  image                = var.image
  entry                = var.entry
  arguments            = var.arguments
  cpu                  = var.cpu
  memory               = var.memory
  region               = var.region
  environment          = var.environment
  secret_ids           = var.secret_ids
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
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

# The scheduler may start this task and hand it its two roles, nothing more.
resource "aws_iam_role" "scheduler" {
  name               = "${var.prefix}-${var.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.assume_by_scheduler.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    actions   = ["ecs:RunTask"]
    resources = [module.task.arn]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    actions   = ["iam:PassRole"]
    resources = [module.task.task_role_arn, module.task.execution_role_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.prefix}-${var.name}-run-task"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  name                = "${var.prefix}-${var.name}"
  schedule_expression = var.schedule_expression
  state               = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.cluster_arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = module.task.arn
      launch_type         = "FARGATE"
      task_count          = 1
      network_configuration {
        subnets          = var.subnet_ids
        security_groups  = var.security_group_ids
        assign_public_ip = false
      }
    }

    retry_policy {
      # A missed run is made up by the next one; never pile runs up.
      maximum_retry_attempts = 0
    }
  }
}
