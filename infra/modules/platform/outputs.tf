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

output "patient_data_migration" {
  description = "The one-off patient data migration: its task definition, container, and where it runs (aws ecs run-task; docs/deployment.md)."
  value = {
    cluster         = aws_ecs_cluster.this.name
    task_definition = module.patient_data_migration.family
    container       = "migrate-patient-data"
    # --network-configuration for run-task: the private subnets and the services' security group.
    network_configuration = jsonencode({
      awsvpcConfiguration = {
        subnets        = module.vpc.private_subnets
        securityGroups = [aws_security_group.services.id]
        assignPublicIp = "DISABLED"
      }
    })
    log_group = "/${local.prefix}/migrate-patient-data"
    # Given to it (as BP_PATIENT_ID_SECRET_PREVIOUS_SECRET_ID) only while BP_PATIENT_ID_SECRET is rotated.
    previous_patient_id_secret_arn = local.secrets["BP_PATIENT_ID_SECRET_PREVIOUS"]
  }
}
