# Invoking a gen2 function is run.invoker on its Cloud Run service.

resource "google_cloud_run_v2_service_iam_member" "public" {
  #checkov:skip=CKV_SELLOUT_3:Only catalogue entries with public = true (functions.tf) get allUsers: graphql, checkout and scan verify Firebase ID tokens, stripe-webhook verifies the Stripe signature, each in its own code.
  count    = var.invoker.public ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function.service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = var.invoker.members
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function.service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}

# Each function reads only the secrets it is given, one binding per secret.
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each  = var.secrets
  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${var.service_account_email}"
}
