# Deliberately wrong resources: terraform/check.sh asserts that every custom checkov policy in
# terraform/checkov_policies fails on them, so a policy that stops matching is noticed.
# Never applied; not part of the platform.

resource "google_cloud_tasks_queue" "unbounded" {
  name     = "unbounded"
  location = "us-central1"
  retry_config {
    max_attempts = -1 # CKV_SELLOUT_1: retries forever
  }
}

resource "google_service_account" "unused" {
  account_id = "unused"
}

resource "google_cloudfunctions2_function" "default_identity" {
  name     = "default-identity"
  location = "us-central1"
  build_config {
    runtime     = "python311"
    entry_point = "handle"
  }
  service_config {
    # CKV_SELLOUT_2 and CKV2_SELLOUT_1: the default compute account, created by nothing here
    service_account_email = "123-compute@developer.gserviceaccount.com"
  }
}

resource "google_cloud_run_v2_service_iam_member" "anyone" {
  name   = "default-identity"
  role   = "roles/run.invoker"
  member = "allUsers" # CKV_SELLOUT_3: public without a reason
}

resource "google_firestore_database" "optimistic" {
  name             = "(default)"
  location_id      = "nam5"
  type             = "FIRESTORE_NATIVE"
  concurrency_mode = "OPTIMISTIC" # CKV_SELLOUT_4
}

resource "google_secret_manager_secret_version" "in_state" {
  secret      = "projects/p/secrets/s"
  secret_data = "not-a-real-secret" # CKV_SELLOUT_5: the value would sit in the state
}

resource "google_project_iam_member" "editor" {
  project = "p"
  role    = "roles/editor" # CKV_SELLOUT_6
  member  = "serviceAccount:x@p.iam.gserviceaccount.com"
}
