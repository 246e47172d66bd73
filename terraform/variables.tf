# Everything that differs between environments is a variable; environments/<env>.tfvars sets it.
# Everything that is the same everywhere (the function catalogue, queue policies) is a local in
# the file of the thing it configures.

variable "project_id" {
  description = "Google Cloud project that hosts one environment (billing enabled)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id (6-30 lower-case letters, digits, '-')."
  }
}

variable "region" {
  description = "Region of the functions, task queues and buckets."
  type        = string
  default     = "us-central1"
}

variable "prefix" {
  description = "Prefix of every resource name (e.g. 'sellout-dev'): functions are '<prefix>-<name>'."
  type        = string
  validation {
    # 14 characters at most: '<prefix>-deliver-tickets' must fit a 30-character service account id.
    condition     = can(regex("^[a-z][a-z0-9-]{1,12}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 3-14 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "environment" {
  description = "dev or prod: production refuses settings that are only safe for testing."
  type        = string
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be 'dev' or 'prod'."
  }
}

variable "labels" {
  description = "Extra labels on every resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "stripe_publishable_key" {
  description = "Stripe platform publishable key (pk_...): public, so a plain variable."
  type        = string
  validation {
    condition     = can(regex("^pk_(test|live)_", var.stripe_publishable_key))
    error_message = "stripe_publishable_key must start with pk_test_ or pk_live_."
  }
}

variable "platform" {
  description = "Platform settings Backstage reads through platformSettings (R-PAY-6): Stripe Connect OAuth client and return URL, the platform's own Webflow site."
  type = object({
    stripe_client_id    = optional(string, "")
    stripe_redirect_url = optional(string, "")
    # The purchase portal's Stripe SDK API version (ephemeral keys are made for it).
    stripe_client_api_version = optional(string, "2020-08-27")
    purchase_portal_url       = optional(string, "")
    backstage_url             = optional(string, "")
    webflow_site_id           = optional(string, "")
  })
  default = {}
  validation {
    condition     = var.platform.stripe_client_id == "" || startswith(var.platform.stripe_client_id, "ca_")
    error_message = "platform.stripe_client_id is a Connect client id (ca_...)."
  }
}

variable "messaging" {
  description = "Sender identities of transactional e-mail (SendGrid, Amazon SES as fallback) and SMS (Plivo). ses_role_arn: AWS IAM role whose trust policy accepts the functions' Google identity tokens (accounts.google.com web identity federation)."
  type = object({
    email_from      = string
    sms_from_number = string
    ses_region      = optional(string, "us-east-1")
    ses_role_arn    = optional(string, "")
    # Region a phone number typed without its country code is read in (stored in E.164).
    default_phone_region = optional(string, "US")
  })
  validation {
    condition     = can(regex("^[A-Z]{2}$", var.messaging.default_phone_region))
    error_message = "messaging.default_phone_region is an ISO 3166 region code such as US."
  }
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.messaging.email_from))
    error_message = "messaging.email_from must be an e-mail address."
  }
  validation {
    # E.164 number or an alphanumeric sender id (countries that allow them).
    condition     = can(regex("^(\\+[1-9][0-9]{6,14}|[A-Za-z0-9]{3,11})$", var.messaging.sms_from_number))
    error_message = "messaging.sms_from_number must be an E.164 number (+15551234567) or a sender id."
  }
}

variable "cors_allowed_origins" {
  description = "Origins of Backstage and the purchase portal allowed to call the public functions."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for origin in var.cors_allowed_origins : can(regex("^https?://[^/*]+$", origin))])
    error_message = "cors_allowed_origins entries are scheme://host[:port], without path or wildcard."
  }
}

variable "graphql" {
  description = "Limits of the GraphQL API (SECURITY.md 23-25). forwarded_for_trusted_hops: X-Forwarded-For entries our infrastructure appends (1 with the functions' own URLs; 2 behind an external HTTPS load balancer); rate limits key on that entry."
  type = object({
    introspection              = optional(bool, false)
    max_depth                  = optional(number, 12)
    max_cost                   = optional(number, 5000)
    forwarded_for_trusted_hops = optional(number, 1)
  })
  default = {}
  validation {
    condition     = var.graphql.forwarded_for_trusted_hops >= 1 && var.graphql.forwarded_for_trusted_hops <= 5
    error_message = "graphql.forwarded_for_trusted_hops must be between 1 and 5."
  }
  validation {
    condition     = var.graphql.max_depth >= 3 && var.graphql.max_depth <= 30
    error_message = "graphql.max_depth must be between 3 and 30."
  }
  validation {
    condition     = var.graphql.max_cost >= 100 && var.graphql.max_cost <= 100000
    error_message = "graphql.max_cost must be between 100 and 100000."
  }
}

variable "uploads" {
  description = "Limits of uploadFiles (SPEC R-UP-1): largest image in bytes and most files per request."
  type = object({
    max_bytes = optional(number, 5242880)
    max_files = optional(number, 5)
  })
  default = {}
  validation {
    condition     = var.uploads.max_bytes >= 1024 && var.uploads.max_files >= 1 && var.uploads.max_files <= 20
    error_message = "uploads.max_bytes must be at least 1024 and uploads.max_files between 1 and 20."
  }
  validation {
    # Cloud Functions refuses HTTP request bodies over 32 MiB: every allowed upload must fit,
    # with 1 MiB left for the multipart form fields (shared/graphql_api/multipart.py).
    condition     = var.uploads.max_bytes * var.uploads.max_files <= 31 * 1024 * 1024
    error_message = "uploads.max_bytes * uploads.max_files must stay within 31 MiB (Cloud Functions' 32 MiB request limit)."
  }
}

variable "log_level" {
  description = "Lowest severity the functions log."
  type        = string
  default     = "INFO"
  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "firestore" {
  description = "Firestore database location (cannot change after creation)."
  type = object({
    location_id = optional(string, "nam5")
  })
  default = {}
}

variable "identity" {
  description = "Identity Platform (Firebase Auth): phone sign-in for buyers, e-mail/password for staff."
  type = object({
    # Turns the project into a Firebase project (needed by the web and mobile Firebase SDKs).
    # Set false when the project already is one.
    create_firebase_project = optional(bool, true)
    # Domains allowed to start sign-in flows (Backstage, purchase portal).
    authorized_domains = optional(list(string), [])
    # SMS pumping defence (SECURITY.md 18): only send sign-in codes to these countries.
    sms_allowed_regions = optional(list(string), ["US", "CA"])
    # Fixed phone numbers and codes for tests: never in production (checked below).
    test_phone_numbers = optional(map(string), {})
    # The legacy sign-in bridge (SPEC 4.4) for the unmodified clients: turn off once Backstage
    # and the purchase portal sign in with the Firebase SDK (README, "The existing clients").
    legacy_sign_in = optional(bool, true)
    # The Firebase web API key (public: the web clients' config carries it); the bridge's
    # password and custom-token sign-ins call the Identity Toolkit with it.
    web_api_key = optional(string, "")
  })
  default = {}
  validation {
    condition     = !var.identity.legacy_sign_in || var.identity.web_api_key != ""
    error_message = "identity.web_api_key is needed while identity.legacy_sign_in is on."
  }
  validation {
    condition     = length(var.identity.sms_allowed_regions) > 0
    error_message = "identity.sms_allowed_regions must list at least one ISO country code."
  }
}

variable "alerting" {
  description = "Where function error alerts go and when they fire."
  type = object({
    email = string
    # Errors (log entries with severity >= ERROR, or 5xx answers) in 5 minutes, per function.
    error_threshold = optional(number, 5)
  })
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alerting.email))
    error_message = "alerting.email must be an e-mail address."
  }
  validation {
    condition     = var.alerting.error_threshold >= 1
    error_message = "alerting.error_threshold must be at least 1."
  }
}

variable "function_overrides" {
  description = "Per-environment sizing of functions, keyed by function name (see functions.tf)."
  type = map(object({
    memory_mb       = optional(number)
    timeout_seconds = optional(number)
    min_instances   = optional(number)
    max_instances   = optional(number)
  }))
  default = {}
}

variable "bundle_dir" {
  description = "Directory holding the zips made by `make bundle` (relative to this folder by default)."
  type        = string
  default     = null
}

variable "bundle_overrides" {
  description = <<-EOT
    Rollback: function name => an existing object in the bundles bucket (e.g.
    "bundles/graphql-<sha256>.zip") deployed instead of the local zip. See README.md.
  EOT
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for object in values(var.bundle_overrides) : can(regex("^bundles/[a-z0-9-]+-[0-9a-f]{64}\\.zip$", object))])
    error_message = "bundle_overrides values are object names like bundles/<function>-<sha256>.zip."
  }
}
