# Cloud Tasks queues, named '<prefix>-<queue>' (TASK_QUEUE_PREFIX + key). Every queue bounds
# its retries (SECURITY.md 11) and its dispatch rate; handlers are idempotent because delivery
# is at least once (SECURITY.md 7).
locals {
  queues = {
    # E-mails, SMS and QR ticket rendering (send-email, send-sms, deliver-tickets). Retries for a
    # day: a buyer still wants the tickets after a SendGrid or Plivo outage.
    delivery = {
      rate_limits  = { max_dispatches_per_second = 50, max_concurrent_dispatches = 50 }
      retry_config = { max_attempts = 20, max_retry_duration = "86400s", min_backoff = "10s", max_backoff = "1800s" }
      sampling     = 0.2
    }
    # Checkout hold expiry (checkout). Must run soon after the hold ends to give inventory back;
    # if every attempt fails, the next buyer's checkout also releases expired holds.
    reservations = {
      rate_limits  = { max_dispatches_per_second = 100, max_concurrent_dispatches = 100 }
      retry_config = { max_attempts = 20, max_retry_duration = "3600s", min_backoff = "5s", max_backoff = "300s" }
      sampling     = 0.2
    }
    # Best-effort follow-ups of an order (checkout: buyer IP geolocation). Few retries: a
    # lookup that keeps failing only leaves one dot off the heat map.
    background = {
      rate_limits  = { max_dispatches_per_second = 20, max_concurrent_dispatches = 20 }
      retry_config = { max_attempts = 3, max_retry_duration = "3600s", min_backoff = "30s", max_backoff = "600s" }
      sampling     = 0.1
    }
    # Refund fan-out (refund). Slow enough for Stripe's rate limits (100/s live, 25/s test)
    # while an organizer cancels a whole event; money moves, so every attempt is logged.
    refunds = {
      rate_limits  = { max_dispatches_per_second = 10, max_concurrent_dispatches = 10 }
      retry_config = { max_attempts = 30, max_retry_duration = "259200s", min_backoff = "30s", max_backoff = "3600s" }
      sampling     = 1
    }
    # Webflow site publishing (webflow-push). Webflow allows 60 requests a minute per site.
    webflow = {
      rate_limits  = { max_dispatches_per_second = 1, max_concurrent_dispatches = 2 }
      retry_config = { max_attempts = 10, max_retry_duration = "86400s", min_backoff = "60s", max_backoff = "3600s" }
      sampling     = 1
    }
  }
}

module "queue" {
  source                 = "./modules/task-queue"
  for_each               = local.queues
  project_id             = var.project_id
  region                 = var.region
  name                   = "${var.prefix}-${each.key}"
  rate_limits            = each.value.rate_limits
  retry_config           = each.value.retry_config
  logging_sampling_ratio = each.value.sampling
  enqueuers = {
    for name, fn in local.function_settings : name => google_service_account.function[name].member
    if contains(fn.enqueues, each.key)
  }
  depends_on = [google_project_service.service]
}
