# The APIs every other resource needs. disable_on_destroy = false: disabling an API on destroy
# would break anything else in the project that uses it (and Firestore data survives anyway).
locals {
  services = toset([
    "artifactregistry.googleapis.com",     # function images built by Cloud Build
    "cloudbuild.googleapis.com",           # builds the function bundles
    "cloudfunctions.googleapis.com",       # gen2 functions
    "cloudresourcemanager.googleapis.com", # project IAM
    "cloudscheduler.googleapis.com",       # the daily reconciliation run
    "cloudtasks.googleapis.com",           # delivery, reservations, refunds, webflow queues
    "firebase.googleapis.com",             # Firebase project for the client SDKs
    "firebaserules.googleapis.com",        # Firestore security rules
    "firestore.googleapis.com",            # the database
    "iam.googleapis.com",                  # service accounts
    "identitytoolkit.googleapis.com",      # Identity Platform (Firebase Auth)
    "logging.googleapis.com",              # log-based error metric
    "monitoring.googleapis.com",           # alert policy
    "run.googleapis.com",                  # gen2 functions run on Cloud Run
    "secretmanager.googleapis.com",        # Stripe, SendGrid, Plivo... keys
    "storage.googleapis.com",              # buckets
  ])
}

resource "google_project_service" "service" {
  for_each           = local.services
  project            = var.project_id
  service            = each.key
  disable_on_destroy = false
}
