# A service of the platform on ECS Fargate: its task (../task-definition), registered in Cloud
# Map so that the others reach it at http://<name>.<namespace>:<port> (their BP_URL_<NAME>),
# behind the public load balancer when given one, and scaled on CPU between min and max tasks.
# Every service is stateless (state lives in DynamoDB; provider-access's circuit breakers are
# per task), so any task can serve any call.
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
  port                 = var.port
  cpu                  = var.cpu
  memory               = var.memory
  region               = var.region
  environment          = var.environment
  secret_ids           = var.secret_ids
  readable_secret_arns = var.readable_secret_arns
  table_arn            = var.table_arn
  table_actions        = var.table_actions
  kms_key_arns         = var.kms_key_arns
  log_retention_days   = var.log_retention_days
  otel_collector_image = var.otel_collector_image
}

resource "aws_service_discovery_service" "this" {
  name = var.name

  dns_config {
    namespace_id   = var.namespace_id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {}
}

resource "aws_ecs_service" "this" {
  name                   = var.name
  cluster                = var.cluster_arn
  task_definition        = module.task.arn
  desired_count          = var.min_count
  launch_type            = "FARGATE"
  propagate_tags         = "SERVICE"
  enable_execute_command = false
  # A deployment is done when the new tasks are healthy; one whose tasks are not rolls back.
  wait_for_steady_state = true

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.this.arn
  }

  dynamic "load_balancer" {
    for_each = var.target_group_arn == null ? [] : [var.target_group_arn]
    content {
      target_group_arn = load_balancer.value
      container_name   = var.name
      container_port   = var.port
    }
  }

  lifecycle {
    # The autoscaler owns the number of tasks once the service exists.
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_count
  max_capacity       = var.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.prefix}-${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
