# Identities. One service account per function with only what its catalogue entry grants
# (functions.tf), one for Cloud Tasks' OIDC tokens and one for building function images.
# None of them uses the default compute account, which has Editor on the project.

resource "google_service_account" "function" {
  for_each     = local.functions
  project      = var.project_id
  account_id   = "${var.prefix}-${each.key}"
  display_name = "Sellout function ${var.prefix}-${each.key}"
  description  = "Runtime identity of the ${var.prefix}-${each.key} Cloud Function."
  lifecycle {
    precondition {
      condition     = length("${var.prefix}-${each.key}") <= 30
      error_message = "Service account id '${var.prefix}-${each.key}' is longer than 30 characters: shorten the prefix or the function name."
    }
  }
}

resource "google_project_iam_member" "function" {
  for_each = {
    for pair in flatten([
      for name, fn in local.function_settings : [for role in fn.roles : { name = name, role = role }]
    ]) : "${pair.name} ${pair.role}" => pair
  }
  project = var.project_id
  role    = each.value.role
  member  = google_service_account.function[each.value.name].member
}

# V4 signed URLs are signed with signBlob on the function's own account (no key file exists).
resource "google_service_account_iam_member" "function_signs_urls" {
  for_each           = { for name, fn in local.function_settings : name => fn if fn.signs_urls }
  service_account_id = google_service_account.function[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.function[each.key].member
}

# Cloud Tasks attaches an OIDC token of this account to every task; task handlers only accept
# tokens whose email is this account (TASKS_INVOKER_EMAIL) and audience is their own URL.
resource "google_service_account" "tasks_invoker" {
  project      = var.project_id
  account_id   = "${var.prefix}-tasks-invoker"
  display_name = "Sellout Cloud Tasks invoker (${var.prefix})"
  description  = "Identity in the OIDC tokens Cloud Tasks sends to task handlers; run.invoker on those only."
}

# Creating a task that carries this account's token is acting as it: only enqueuing functions.
resource "google_service_account_iam_member" "tasks_invoker_user" {
  for_each           = { for name, fn in local.function_settings : name => fn if length(fn.enqueues) > 0 }
  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.function[each.key].member
}

# Cloud Build runs as this account to turn a bundle into an image. These are the roles Google
# documents for a custom build account; objectViewer is project-wide because Cloud Build also
# reads its own staging buckets, which Terraform does not manage.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.prefix}-fn-build"
  display_name = "Sellout function builds (${var.prefix})"
  description  = "Cloud Build identity for the Cloud Functions images."
}

resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/logging.logWriter",       # build logs
    "roles/artifactregistry.writer", # pushes the function image
    "roles/storage.objectViewer",    # reads the bundle and Cloud Build's staging objects
  ])
  project = var.project_id
  role    = each.key
  member  = google_service_account.build.member
}
