# Firebase and Identity Platform APIs need a quota project when Terraform runs with a user's
# credentials (gcloud auth application-default login): bill those calls to the target project.
provider "google" {
  project               = var.project_id
  region                = var.region
  user_project_override = true
  billing_project       = var.project_id
  default_labels        = local.labels
}

# Only google_firebase_project is beta-only.
provider "google-beta" {
  project               = var.project_id
  region                = var.region
  user_project_override = true
  billing_project       = var.project_id
  default_labels        = local.labels
}
