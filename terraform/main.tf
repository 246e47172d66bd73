# Sellout platform: Cloud Functions (gen2) + Firestore + Cloud Tasks + Cloud Storage +
# Identity Platform + Secret Manager, one Google Cloud project per environment.
# Files by concern: apis.tf, functions.tf (catalogue of functions), serviceaccounts.tf,
# secrets.tf, firestore.tf, tasks.tf, scheduler.tf, storage.tf, identity.tf, monitoring.tf,
# outputs.tf.

locals {
  labels = merge(var.labels, {
    app         = "sellout"
    environment = var.environment
  })

  # Plain settings read by shared/settings.py (env var = field name upper-cased). Every function
  # gets all of them; secrets are added per function in functions.tf. Fields marked local_only
  # there (emulator hosts, API base overrides) are deliberately absent: unset, the SDKs talk to
  # the real services. tests/terraform checks this map against the Settings class.
  plain_environment = {
    GCP_PROJECT = var.project_id
    GCP_REGION  = var.region
    # Built from names, not from function resources' URLs: functions can call each other and
    # enqueue tasks for each other without a dependency cycle between them.
    FUNCTIONS_BASE_URL   = "https://${var.region}-${var.project_id}.cloudfunctions.net"
    FUNCTION_NAME_PREFIX = "${var.prefix}-"
    TASK_QUEUE_PREFIX    = "${var.prefix}-"
    # Task handlers accept only OIDC tokens of this account (SECURITY.md 9).
    TASKS_INVOKER_EMAIL    = google_service_account.tasks_invoker.email
    TASKS_VERIFY_OIDC      = "true"
    TICKETS_BUCKET         = google_storage_bucket.tickets.name
    UPLOADS_BUCKET         = google_storage_bucket.uploads.name
    REPORTS_BUCKET         = google_storage_bucket.reports.name
    UPLOAD_MAX_BYTES       = tostring(var.uploads.max_bytes)
    UPLOAD_MAX_FILES       = tostring(var.uploads.max_files)
    STRIPE_PUBLISHABLE_KEY = var.stripe_publishable_key
    STRIPE_CLIENT_ID       = var.platform.stripe_client_id
    STRIPE_REDIRECT_URL    = var.platform.stripe_redirect_url
    # The purchase portal's Stripe SDK version: checkout's ephemeral keys are made for it.
    STRIPE_CLIENT_API_VERSION = var.platform.stripe_client_api_version
    WEBFLOW_SITE_ID           = var.platform.webflow_site_id
    EMAIL_FROM                = var.messaging.email_from
    SMS_FROM_NUMBER           = var.messaging.sms_from_number
    # SES is the e-mail fallback; the functions reach it as an AWS role trusting Google's
    # identity tokens (no AWS keys anywhere).
    SES_REGION   = var.messaging.ses_region
    SES_ROLE_ARN = var.messaging.ses_role_arn
    # Phone numbers typed without a country code (the portal sends digits as typed).
    DEFAULT_PHONE_REGION = var.messaging.default_phone_region
    # pydantic-settings parses list fields from JSON.
    CORS_ALLOWED_ORIGINS  = jsonencode(var.cors_allowed_origins)
    GRAPHQL_INTROSPECTION = tostring(var.graphql.introspection)
    GRAPHQL_MAX_DEPTH     = tostring(var.graphql.max_depth)
    GRAPHQL_MAX_COST      = tostring(var.graphql.max_cost)
    # The legacy sign-in bridge for the unmodified clients (SPEC 4.4).
    LEGACY_SIGN_IN       = tostring(var.identity.legacy_sign_in)
    FIREBASE_WEB_API_KEY = var.identity.web_api_key
    # Rate limits key on the X-Forwarded-For entry our own infrastructure appended.
    FORWARDED_FOR_TRUSTED_HOPS = tostring(var.graphql.forwarded_for_trusted_hops)
    # Live stock on pages is folded from the shards at most once per 10 s per event (README "Stock").
    STOCK_SUMMARY_SECONDS = "10"
    LOG_LEVEL             = var.log_level

    # Notify-me e-mails link buyers to the event in the purchase portal; verification and
    # invitation e-mails link to Backstage's account pages.
    PURCHASE_PORTAL_URL = var.platform.purchase_portal_url
    BACKSTAGE_URL       = var.platform.backstage_url
  }
}

# Settings that are fine in dev but must never reach production. Preconditions, not variable
# validations, because they compare two variables (Terraform 1.5 validations cannot).
resource "terraform_data" "production_guards" {
  input = var.environment
  lifecycle {
    precondition {
      condition     = var.environment != "prod" || !var.graphql.introspection
      error_message = "GraphQL introspection must stay off in production (SECURITY.md 23)."
    }
    precondition {
      condition     = var.environment != "prod" || length(var.identity.test_phone_numbers) == 0
      error_message = "Test phone numbers are for dev only (SECURITY.md 18)."
    }
    precondition {
      condition     = var.environment != "prod" || startswith(var.stripe_publishable_key, "pk_live_")
      error_message = "Production uses the live Stripe publishable key."
    }
  }
}
