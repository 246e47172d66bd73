# Jobs Cloud Scheduler starts on a clock. Each posts `{}` to a task route of a function with an
# OIDC token of the tasks invoker, which the handler verifies exactly as it verifies a Cloud
# Task (audience = that route's URL, built like shared.adapters.task_queue.function_url), so the
# route needs no other door. The work itself fans out over Cloud Tasks from there.
locals {
  scheduled_jobs = {
    # Daily reconciliation with Stripe (shared/services/reconciliation.py): yesterday's (UTC)
    # charges and refunds of the platform and every connected account against our orders and
    # refund records. 02:30 UTC leaves late webhooks and refunds of the day time to settle.
    reconciliation = {
      description = "Reconciles yesterday's (UTC) Stripe charges and refunds with orders and refund records."
      schedule    = "30 2 * * *"
      function    = "refund"
      path        = "/tasks/reconcile"
    }
  }
  scheduled_job_urls = {
    for name, job in local.scheduled_jobs :
    name => "${local.plain_environment.FUNCTIONS_BASE_URL}/${local.plain_environment.FUNCTION_NAME_PREFIX}${job.function}${job.path}"
  }
}

resource "google_cloud_scheduler_job" "job" {
  for_each    = local.scheduled_jobs
  project     = var.project_id
  region      = var.region
  name        = "${var.prefix}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = "Etc/UTC"
  # Longer than the function's timeout: an attempt is not cut off while the handler still runs.
  attempt_deadline = "${local.function_settings[each.value.function].timeout_seconds + 20}s"

  # Bounded (SECURITY.md 11). Planning is idempotent (tasks are named per day and account, and
  # mismatches per day, kind and object), so a retried run adds nothing twice.
  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
    max_doublings        = 2
  }

  http_target {
    http_method = "POST"
    uri         = local.scheduled_job_urls[each.key]
    body        = base64encode("{}")
    headers     = { "Content-Type" = "application/json" }
    oidc_token {
      service_account_email = google_service_account.tasks_invoker.email
      audience              = local.scheduled_job_urls[each.key]
    }
  }

  depends_on = [google_project_service.service]
}

resource "terraform_data" "scheduled_job_guards" {
  input = keys(local.scheduled_jobs)
  lifecycle {
    precondition {
      # The tasks invoker may only call task handlers (functions.tf): any other target would
      # answer 403 every night.
      condition     = alltrue([for job in local.scheduled_jobs : try(local.function_settings[job.function].task_handler, false)])
      error_message = "A scheduled job targets a function that is not a task handler in functions.tf."
    }
  }
}
