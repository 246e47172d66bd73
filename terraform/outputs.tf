output "function_urls" {
  description = "URL of every function, by name."
  value       = { for name, fn in module.function : name => fn.url }
}

output "stripe_webhook_url" {
  description = "Register this URL as both the account and the Connect webhook endpoint in Stripe."
  value       = module.function["stripe-webhook"].url
}

output "graphql_url" {
  description = "GraphQL API endpoint for Backstage and the purchase portal."
  value       = module.function["graphql"].url
}

output "checkout_url" {
  description = "Checkout endpoint of the purchase portal."
  value       = module.function["checkout"].url
}

output "scan_url" {
  description = "Check-in endpoint of the scanner app."
  value       = module.function["scan"].url
}

output "bundle_objects" {
  description = "Bundle object each function was built from: keep it for a rollback (bundle_overrides)."
  value       = { for name, fn in module.function : name => fn.bundle_object }
}

output "tasks_invoker_email" {
  description = "Service account in the OIDC token of every task (TASKS_INVOKER_EMAIL)."
  value       = google_service_account.tasks_invoker.email
}

output "function_service_accounts" {
  description = "Runtime service account of every function."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}

output "queues" {
  description = "Cloud Tasks queue names, by key."
  value       = { for key, queue in module.queue : key => queue.name }
}

output "buckets" {
  description = "Bucket names: tickets, uploads and the function bundles."
  value = merge(local.buckets, {
    bundles = google_storage_bucket.bundles.name
  })
}

output "secret_ids" {
  description = "Secret Manager secret id of every secret setting: add their values with gcloud (README.md)."
  value       = { for env, secret in google_secret_manager_secret.secret : env => secret.secret_id }
}
