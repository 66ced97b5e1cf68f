output "job_queue_arn" {
  value = aws_batch_job_queue.this.arn
}

output "job_role_name" {
  value = aws_iam_role.job.name
}
