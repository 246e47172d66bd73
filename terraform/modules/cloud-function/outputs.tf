output "name" {
  description = "Deployed function name ('<prefix>-<name>')."
  value       = google_cloudfunctions2_function.function.name
}

output "url" {
  description = "https://<region>-<project>.cloudfunctions.net/<prefix>-<name>: the URL callers and OIDC audiences use."
  value       = google_cloudfunctions2_function.function.url
}

output "run_uri" {
  description = "URL of the underlying Cloud Run service (*.run.app)."
  value       = google_cloudfunctions2_function.function.service_config[0].uri
}

output "bundle_object" {
  description = "Object the function was built from (note it for a rollback)."
  value       = local.bundle_object
}
