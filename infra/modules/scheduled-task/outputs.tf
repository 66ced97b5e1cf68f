output "task_role_name" {
  value = module.task.task_role_name
}

output "schedule_name" {
  value = aws_scheduler_schedule.this.name
}
