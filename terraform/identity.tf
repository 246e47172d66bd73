# Identity Platform (Firebase Auth): buyers sign in with their phone number, staff (organizers,
# box office, scanners) with e-mail and password. Functions verify the resulting ID tokens.

# Makes the project a Firebase project, which the web and mobile Firebase SDKs require.
resource "google_firebase_project" "default" {
  provider   = google-beta
  count      = var.identity.create_firebase_project ? 1 : 0
  project    = var.project_id
  depends_on = [google_project_service.service]
}

resource "google_identity_platform_config" "default" {
  project = var.project_id
  # Replaces the console's list, so the Firebase Hosting defaults are listed explicitly.
  authorized_domains = distinct(concat(
    ["${var.project_id}.firebaseapp.com", "${var.project_id}.web.app"],
    var.identity.authorized_domains,
  ))
  autodelete_anonymous_users = true

  sign_in {
    allow_duplicate_emails = false
    phone_number {
      enabled            = true
      test_phone_numbers = var.identity.test_phone_numbers
    }
    email {
      enabled           = true
      password_required = true
    }
  }

  # SMS pumping defence (SECURITY.md 18): codes are only sent to these countries.
  sms_region_config {
    allowlist_only {
      allowed_regions = var.identity.sms_allowed_regions
    }
  }

  depends_on = [google_project_service.service, google_firebase_project.default]
}
