variable "project_id" {
  description = "Project that hosts the queue."
  type        = string
}

variable "region" {
  description = "Region of the queue (the same as the functions it calls)."
  type        = string
}

variable "name" {
  description = "Full queue name ('<prefix>-<queue>'). A deleted name cannot be reused for about 7 days."
  type        = string
  validation {
    condition     = can(regex("^[a-zA-Z0-9-]{1,100}$", var.name))
    error_message = "Queue names are letters, digits and '-' (at most 100)."
  }
}

variable "rate_limits" {
  description = "How fast tasks are dispatched: protects the target function and the SaaS API behind it."
  type = object({
    max_dispatches_per_second = number
    max_concurrent_dispatches = number
  })
  validation {
    condition = (
      var.rate_limits.max_dispatches_per_second > 0 && var.rate_limits.max_dispatches_per_second <= 500 &&
      var.rate_limits.max_concurrent_dispatches >= 1 && var.rate_limits.max_concurrent_dispatches <= 5000
    )
    error_message = "rate_limits: 0 < max_dispatches_per_second <= 500, 1 <= max_concurrent_dispatches <= 5000."
  }
}

variable "retry_config" {
  description = <<-EOT
    Bounded retries (SECURITY.md 11): a task is retried with exponential backoff until
    max_attempts or max_retry_duration is reached, then dropped; the handler records permanent
    failures itself and answers 2xx.
  EOT
  type = object({
    max_attempts       = number
    max_retry_duration = string
    min_backoff        = optional(string, "10s")
    max_backoff        = optional(string, "600s")
    max_doublings      = optional(number, 5)
  })
  validation {
    # -1 would mean "retry forever".
    condition     = var.retry_config.max_attempts >= 1 && var.retry_config.max_attempts <= 100
    error_message = "retry_config.max_attempts must be between 1 and 100 (never unlimited)."
  }
  validation {
    condition = alltrue([
      for duration in [var.retry_config.max_retry_duration, var.retry_config.min_backoff, var.retry_config.max_backoff] :
      can(regex("^[1-9][0-9]*s$", duration))
    ])
    error_message = "Durations are whole seconds like \"3600s\"; max_retry_duration must not be 0 (unlimited)."
  }
}

variable "logging_sampling_ratio" {
  description = "Fraction of task attempts logged to Cloud Logging (0 to 1)."
  type        = number
  default     = 1
  validation {
    condition     = var.logging_sampling_ratio >= 0 && var.logging_sampling_ratio <= 1
    error_message = "logging_sampling_ratio must be between 0 and 1."
  }
}

variable "enqueuers" {
  description = "Principals that may add tasks, keyed by a fixed label (e.g. the function name)."
  type        = map(string)
  default     = {}
}
