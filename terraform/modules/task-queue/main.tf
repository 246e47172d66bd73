# One Cloud Tasks queue with bounded retries and dispatch rate, and who may enqueue into it.
# The target and its OIDC token are set per task by the enqueuing code (shared/), so the queue
# itself carries no routing.

resource "google_cloud_tasks_queue" "queue" {
  project  = var.project_id
  location = var.region
  name     = var.name

  rate_limits {
    max_dispatches_per_second = var.rate_limits.max_dispatches_per_second
    max_concurrent_dispatches = var.rate_limits.max_concurrent_dispatches
  }

  retry_config {
    max_attempts       = var.retry_config.max_attempts
    max_retry_duration = var.retry_config.max_retry_duration
    min_backoff        = var.retry_config.min_backoff
    max_backoff        = var.retry_config.max_backoff
    max_doublings      = var.retry_config.max_doublings
  }

  stackdriver_logging_config {
    sampling_ratio = var.logging_sampling_ratio
  }
}

# Enqueuing is granted per queue, not project-wide: a function can only add the kinds of work
# it is meant to start.
resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = var.enqueuers
  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.queue.name
  role     = "roles/cloudtasks.enqueuer"
  member   = each.value
}
