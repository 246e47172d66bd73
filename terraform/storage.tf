# Buckets. Names start with the project id because bucket names are global.
# Clients never read them directly: functions hand out short-lived V4 signed URLs.

locals {
  # storage.tf key => bucket name, for bucket_roles in the function catalogue.
  buckets = {
    tickets = google_storage_bucket.tickets.name
    uploads = google_storage_bucket.uploads.name
    reports = google_storage_bucket.reports.name
  }
}

# QR ticket images: personal, so private, uniform IAM and never publicly shareable.
resource "google_storage_bucket" "tickets" {
  #checkov:skip=CKV_GCP_62:Object access is recorded by Cloud Audit Logs data-access logs (storage_audit below), Google's replacement for legacy usage logs.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.prefix}-tickets"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # Reissued tickets overwrite their image: keep the previous one for a while for support.
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [google_project_service.service]
}

# Posters, logos and artist images organizers upload through `uploadFiles` (SPEC R-UP-1). They
# are published on purpose: the purchase portal, e-mails and Webflow pages show them by a
# permanent URL stored on the event/org, which a signed URL (7 days at most) could not be. Only
# sniffed images land here (shared/services/uploads.py), under random names; anyone may read an
# object whose name they know, nobody may list the bucket (below).
resource "google_storage_bucket" "uploads" {
  #checkov:skip=CKV_GCP_62:Object access is recorded by Cloud Audit Logs data-access logs (storage_audit below), Google's replacement for legacy usage logs.
  #checkov:skip=CKV_GCP_114:Public by design (SPEC R-UP-1): images shown on public pages by a permanent URL; reads only, no listing.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.prefix}-uploads"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "inherited"
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }
  cors {
    origin          = var.cors_allowed_origins
    method          = ["GET", "HEAD", "PUT"]
    response_header = ["Content-Type", "Content-MD5"]
    max_age_seconds = 3600
  }
  depends_on = [google_project_service.service]
}

# CSV exports (SPEC R-RP): buyers' names, e-mails and phone numbers, fetched once through a
# short-lived signed URL right after they are built; nothing needs them a week later.
resource "google_storage_bucket" "reports" {
  #checkov:skip=CKV_GCP_62:Object access is recorded by Cloud Audit Logs data-access logs (storage_audit below), Google's replacement for legacy usage logs.
  #checkov:skip=CKV_GCP_78:Exports are regenerated on demand and deleted after a week; versions would only keep personal data longer.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.prefix}-reports"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [google_project_service.service]
}

# Function source bundles, named by content hash (functions.tf). Versioning keeps an object
# Terraform replaced for 90 days so an older bundle can be restored for a rollback.
resource "google_storage_bucket" "bundles" {
  #checkov:skip=CKV_GCP_62:Object access is recorded by Cloud Audit Logs data-access logs (storage_audit below), Google's replacement for legacy usage logs.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.prefix}-bundles"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 90
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [google_project_service.service]
}

# Read access to single uploaded images for everyone: legacyObjectReader grants objects.get
# only, so the bucket's contents cannot be listed (objectViewer would allow that).
resource "google_storage_bucket_iam_member" "uploads_public_read" {
  #checkov:skip=CKV_GCP_28:Public by design (SPEC R-UP-1): posters and logos on public pages; objects.get only, no listing.
  bucket = google_storage_bucket.uploads.name
  role   = "roles/storage.legacyObjectReader"
  member = "allUsers"
}

# Who read or wrote which object (ticket images hold personal data): data-access audit logs for
# Cloud Storage in this project.
resource "google_project_iam_audit_config" "storage_audit" {
  project = var.project_id
  service = "storage.googleapis.com"
  audit_log_config {
    log_type = "DATA_READ"
  }
  audit_log_config {
    log_type = "DATA_WRITE"
  }
}

resource "google_storage_bucket_iam_member" "function" {
  for_each = {
    for pair in flatten([
      for name, fn in local.function_settings : [
        for bucket, role in fn.bucket_roles : { name = name, bucket = bucket, role = role }
      ]
    ]) : "${pair.name} ${pair.bucket} ${pair.role}" => pair
  }
  bucket = local.buckets[each.value.bucket]
  role   = each.value.role
  member = google_service_account.function[each.value.name].member
}
