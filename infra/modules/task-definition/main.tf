# One process of the platform as an ECS task on Fargate: the platform's image running one entry
# (scripts/run-entry.mjs: `src/…ts [arguments]`, as topology.json names it), an ADOT collector
# beside it that forwards its OTLP traces to X-Ray and its metrics to CloudWatch, its logs in
# CloudWatch Logs, and a role of its own that may do exactly what this process does:
# the table actions, keys and secrets its caller names here, and nothing else.
#
# Used three ways: by ../ecs-service (a service), by ../scheduled-task (a job on a schedule), and
# directly by ../platform for a one-off task an operator starts with `aws ecs run-task` (the
# patient data migration): a task definition and its role, and nothing that runs it.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0" }
  }
}

data "aws_partition" "current" {}

locals {
  family = "${var.prefix}-${var.name}"
  environment = merge(
    {
      NODE_ENV          = "production"
      AWS_REGION        = var.region
      OTEL_SERVICE_NAME = var.name
      # The collector beside the process, in the same task (localhost in awsvpc mode).
      OTEL_EXPORTER_OTLP_ENDPOINT = "http://127.0.0.1:4318"
    },
    var.port == null ? {} : { PORT = tostring(var.port) },
    var.environment,
    # Each secret by reference only: the process reads <NAME> from Secrets Manager at start.
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

# ECS itself, to start the task: pull the image, write the logs.
resource "aws_iam_role" "execution" {
  name               = "${local.family}-execution"
  assume_role_policy = data.aws_iam_policy_document.assume_by_ecs_tasks.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# The process (and its collector) while it runs.
resource "aws_iam_role" "task" {
  name               = "${local.family}-task"
  assume_role_policy = data.aws_iam_policy_document.assume_by_ecs_tasks.json
}

data "aws_iam_policy_document" "task" {
  # The collector: traces to X-Ray, metrics to CloudWatch as embedded metric format logs.
  statement {
    sid = "Telemetry"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
      "xray:GetSamplingStatisticSummaries",
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = length(var.table_actions) > 0 ? [1] : []
    content {
      sid       = "Table"
      actions   = var.table_actions
      resources = [var.table_arn, "${var.table_arn}/index/*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "Keys"
      actions   = var.kms_actions
      resources = var.kms_key_arns
    }
  }

  # The secrets it is given at start (<NAME>_SECRET_ID), and any it may be pointed at later.
  dynamic "statement" {
    for_each = length(var.secret_ids) + length(var.readable_secret_arns) > 0 ? [1] : []
    content {
      sid       = "Secrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = concat(values(var.secret_ids), var.readable_secret_arns)
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "${local.family}-least-privilege"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name      = var.name
      image     = var.image
      essential = true
      # The image's entry point is scripts/run-entry.mjs: the command is the entry and its arguments.
      command     = concat([var.entry], var.arguments)
      environment = [for name in sort(keys(local.environment)) : { name = name, value = local.environment[name] }]
      portMappings = var.port == null ? [] : [
        { containerPort = var.port, protocol = "tcp", name = var.name }
      ]
      # ECS does not run the image's HEALTHCHECK: the same check, stated for ECS.
      healthCheck = var.port == null ? null : {
        command     = ["CMD", "node", "-e", "require('node:net').connect(Number(process.env.PORT), '127.0.0.1').once('connect', () => process.exit(0)).once('error', () => process.exit(1))"]
        interval    = 15
        timeout     = 3
        retries     = 3
        startPeriod = 20
      }
      dependsOn = [{ containerName = "otel-collector", condition = "START" }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = var.region
          awslogs-stream-prefix = var.name
        }
      }
    },
    {
      name = "otel-collector"
      # Not essential: a collector that fails costs telemetry, never the service.
      essential = false
      image     = var.otel_collector_image
      # ADOT's own configuration for ECS: OTLP in (4317, 4318), X-Ray and CloudWatch EMF out.
      command = ["--config=/etc/ecs/ecs-default-config.yaml"]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = var.region
          awslogs-stream-prefix = "otel-collector"
        }
      }
    },
  ])
}
