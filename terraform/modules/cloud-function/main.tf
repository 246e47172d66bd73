# One HTTP Cloud Function (gen2): its source object, the function, who may invoke it and which
# secrets it may read. The runtime service account is created by the caller, so that functions
# can be granted rights on each other without a dependency cycle between module instances.

locals {
  function_name = "${var.prefix}-${var.name}"
  bundle_exists = var.bundle.path == null ? false : fileexists(var.bundle.path)
  # Named by content: the same zip keeps the same name (no redeploy), a new zip gets a new one.
  bundle_object = (
    var.bundle.object != null
    ? var.bundle.object
    : "bundles/${var.name}-${local.bundle_exists ? filesha256(var.bundle.path) : "missing"}.zip"
  )
}

resource "google_storage_bucket_object" "bundle" {
  count  = var.bundle.path == null ? 0 : 1
  bucket = var.bundle.bucket
  name   = local.bundle_object
  source = var.bundle.path
  lifecycle {
    # The function must never point at a deleted object, even for a moment.
    create_before_destroy = true
    precondition {
      condition     = local.bundle_exists
      error_message = "${var.bundle.path} not found: run `make bundle` before plan/apply."
    }
  }
}

resource "google_cloudfunctions2_function" "function" {
  #checkov:skip=CKV_GCP_124:Cloud Tasks and Stripe call in from outside any VPC, so ingress is ALLOW_ALL; run.invoker IAM (iam.tf) keeps private functions private.
  project     = var.project_id
  location    = var.region
  name        = local.function_name
  description = var.description
  labels      = var.labels

  build_config {
    runtime     = var.function_config.runtime
    entry_point = var.function_config.entry_point
    # A dedicated build identity instead of the default compute service account.
    service_account = var.build_service_account_id
    source {
      storage_source {
        bucket = var.bundle.bucket
        object = var.bundle.path == null ? local.bundle_object : google_storage_bucket_object.bundle[0].name
      }
    }
  }

  service_config {
    available_memory                 = "${var.function_config.memory_mb}Mi"
    available_cpu                    = var.function_config.cpu
    timeout_seconds                  = var.function_config.timeout_seconds
    min_instance_count               = var.function_config.min_instances
    max_instance_count               = var.function_config.max_instances
    max_instance_request_concurrency = var.function_config.concurrency
    service_account_email            = var.service_account_email
    environment_variables            = var.environment_variables
    # Reachable from the internet for every function: Cloud Tasks and Stripe call in from
    # outside any VPC. IAM (run.invoker, iam.tf) is what keeps private functions private.
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true

    # Keys reach the code only as secret environment variables, resolved when an instance
    # starts: after adding a secret version, new instances get it (redeploy to roll all).
    dynamic "secret_environment_variables" {
      for_each = var.secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  # The secret must be readable before the first revision starts.
  depends_on = [google_secret_manager_secret_iam_member.accessor]
}
