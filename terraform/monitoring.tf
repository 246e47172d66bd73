# Alerting on function errors: a function logging errors or answering 5xx (which also makes
# Cloud Tasks and Stripe retry) pages the e-mail in var.alerting. Refusals (SOLD_OUT, bad input,
# sign-in required, permission, rate limits, not found) are logged at INFO or WARNING
# (shared/errors.py LOG_LEVEL), so only ERROR entries are counted: a sell-out pages no one.

resource "google_monitoring_notification_channel" "email" {
  project      = var.project_id
  display_name = "Sellout ${var.prefix} on-call e-mail"
  type         = "email"
  labels = {
    email_address = var.alerting.email
  }
  depends_on = [google_project_service.service]
}

# Error log entries of this environment's functions (gen2 functions log as Cloud Run revisions),
# counted per function. Catches failures a handler answers 2xx to on purpose (a permanently
# failed task is recorded, logged at ERROR and acknowledged).
resource "google_logging_metric" "function_errors" {
  project = var.project_id
  name    = "${var.prefix}-function-errors"
  filter  = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=~\"^${var.prefix}-\" AND severity>=ERROR"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "service_name"
      value_type  = "STRING"
      description = "Function (Cloud Run service) that logged the error."
    }
  }
  label_extractors = {
    service_name = "EXTRACT(resource.labels.service_name)"
  }
  depends_on = [google_project_service.service]
}

resource "google_monitoring_alert_policy" "function_errors" {
  project               = var.project_id
  display_name          = "Sellout ${var.prefix}: function errors"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]

  conditions {
    display_name = "Error log entries per function (5 min)"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.function_errors.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alerting.error_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.service_name"]
      }
    }
  }

  conditions {
    display_name = "5xx responses per function (5 min)"
    condition_threshold {
      filter          = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND metric.labels.response_code_class=\"5xx\" AND resource.labels.service_name=starts_with(\"${var.prefix}-\")"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alerting.error_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      A Sellout function (${var.prefix}) logged errors or answered 5xx above the threshold.
      Open Logs Explorer with `resource.type="cloud_run_revision" severity>=ERROR
      resource.labels.service_name="<function>"`; the request id in each entry ties it to the
      caller. A bad deploy is rolled back as README.md (terraform/) describes.
    EOT
  }
}
