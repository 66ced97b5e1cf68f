output "name" {
  value = aws_ecs_service.this.name
}

output "task_role_name" {
  value = module.task.task_role_name
}

output "task_role_arn" {
  value = module.task.task_role_arn
}
