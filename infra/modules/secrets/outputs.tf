output "arns" {
  description = "Secret ARN by variable name."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.arn }
}
