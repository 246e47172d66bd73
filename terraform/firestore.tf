# The (default) Firestore database, its composite indexes and its security rules.

resource "google_firestore_database" "default" {
  project     = var.project_id
  name        = "(default)" # the Admin SDK's default database
  location_id = var.firestore.location_id
  type        = "FIRESTORE_NATIVE"
  # Pessimistic: transactions lock the documents they read, so contended inventory documents
  # serialize instead of failing optimistic retries (SECURITY.md 12-15).
  concurrency_mode = "PESSIMISTIC"
  # Seven days of versions to recover from a bad deploy or a mistaken bulk write.
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  # The database (and every order in it) cannot be deleted, by Terraform or anyone, until this
  # is switched off deliberately; ABANDON makes `terraform destroy` forget it instead of failing.
  delete_protection_state     = "DELETE_PROTECTION_ENABLED"
  deletion_policy             = "ABANDON"
  app_engine_integration_mode = "DISABLED"
  depends_on                  = [google_project_service.service]
}

# Composite indexes come from firestore.indexes.json at the repo root, the Firebase CLI format
# that the local emulator also reads, so domain engineers declare an index once.
locals {
  firestore_index_file = jsondecode(file("${path.module}/../firestore.indexes.json"))
  firestore_indexes = {
    # Keyed by content: an index is immutable, so a changed index is a new key (create + delete).
    for index in try(local.firestore_index_file.indexes, []) :
    join(";", concat(
      [index.collectionGroup, try(index.queryScope, "COLLECTION")],
      [for field in index.fields : "${field.fieldPath}:${try(field.order, field.arrayConfig)}"],
    )) => index
  }
  # Single-field overrides (TTL policies, exemptions): one resource per collection and field.
  firestore_field_overrides = {
    for override in try(local.firestore_index_file.fieldOverrides, []) :
    "${override.collectionGroup}.${override.fieldPath}" => override
  }
}

resource "google_firestore_index" "index" {
  for_each    = local.firestore_indexes
  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")
  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }
}

resource "google_firestore_field" "override" {
  for_each   = local.firestore_field_overrides
  project    = var.project_id
  database   = google_firestore_database.default.name
  collection = each.value.collectionGroup
  field      = each.value.fieldPath
  # A listed "indexes" array replaces the automatic single-field indexes ([] = none);
  # without it the automatic ones stay.
  dynamic "index_config" {
    for_each = can(each.value.indexes) ? [each.value.indexes] : []
    content {
      dynamic "indexes" {
        for_each = index_config.value
        content {
          query_scope  = try(indexes.value.queryScope, "COLLECTION")
          order        = try(indexes.value.order, null)
          array_config = try(indexes.value.arrayConfig, null)
        }
      }
    }
  }
  dynamic "ttl_config" {
    for_each = try(each.value.ttl, false) ? [true] : []
    content {}
  }
}

# Clients never touch Firestore directly: every read and write goes through the functions and
# the Admin SDK, which bypasses rules. The rules therefore deny everything (SECURITY.md 16).
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id
  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/../firestore.rules")
    }
  }
  depends_on = [google_firestore_database.default]
}

resource "google_firebaserules_release" "firestore" {
  project      = var.project_id
  name         = "cloud.firestore" # the release the (default) database reads
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"
  lifecycle {
    # Rulesets are immutable: release each new one (the pattern in Firebase's Terraform guide).
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}
