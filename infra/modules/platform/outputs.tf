output "api_url" {
  value = "https://${var.domain_name}"
}

output "load_balancer_dns_name" {
  value = module.public_entry.dns_name
}

output "table_name" {
  value = module.table.name
}

output "cluster_name" {
  value = aws_ecs_cluster.this.name
}

output "secret_arns" {
  description = "Set each secret's value once (docs/deployment.md); Terraform never holds them."
  value       = module.secrets.arns
}
