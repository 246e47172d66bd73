# Secret Manager secrets, one per SecretStr field of shared/settings.py (env var name => what
# it holds). Terraform creates the empty secrets and who may read them; the values never pass
# through Terraform or its state: the operator adds them with `gcloud secrets versions add`
# (README.md). Each function reads only the secrets its catalogue entry lists (functions.tf).
locals {
  secrets = {
    STRIPE_SECRET_KEY             = "Stripe platform secret key (sk_live_... / sk_test_...)."
    STRIPE_WEBHOOK_SECRET         = "Signing secret (whsec_...) of the Stripe account webhook endpoint."
    STRIPE_CONNECT_WEBHOOK_SECRET = "Signing secret (whsec_...) of the Stripe Connect webhook endpoint."
    SENDGRID_API_KEY              = "SendGrid API key (mail send)."
    PLIVO_AUTH_ID                 = "Plivo auth id."
    PLIVO_AUTH_TOKEN              = "Plivo auth token."
    WEBFLOW_API_TOKEN             = "Webflow API token."
    SEATSIO_SECRET_KEY            = "seats.io company admin key."
    IPGEO_ACCESS_KEY              = "ipstack access key (buyer IP geolocation)."
    TICKET_SIGNING_KEY            = "Ed25519 private key (base64 of 32 raw bytes) that signs ticket QR codes."
  }
}

resource "google_secret_manager_secret" "secret" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = "${var.prefix}-${lower(replace(each.key, "_", "-"))}"
  labels    = local.labels
  annotations = {
    description = each.value
    env-var     = each.key
  }
  replication {
    auto {}
  }
  depends_on = [google_project_service.service]
}
