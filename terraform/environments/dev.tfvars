# Development environment: test-mode Stripe, fixed test phone numbers, small instances.
# terraform init -backend-config=bucket=<state-bucket> -backend-config=prefix=sellout/dev
# terraform apply -var-file=environments/dev.tfvars

project_id  = "sellout-dev"
region      = "us-central1"
prefix      = "sellout-dev"
environment = "dev"

stripe_publishable_key = "pk_test_replace_me"

messaging = {
  email_from      = "tickets@dev.sellout.example"
  sms_from_number = "+15550100000"
}

cors_allowed_origins = [
  "https://backstage.dev.sellout.example",
  "https://tickets.dev.sellout.example",
  "http://localhost:3000",
]

graphql = {
  max_depth = 12
  max_cost  = 5000
}

log_level = "DEBUG"

identity = {
  authorized_domains  = ["backstage.dev.sellout.example", "tickets.dev.sellout.example", "localhost"]
  sms_allowed_regions = ["US", "CA"]
  # Fictional 555-01xx numbers: sign in without an SMS being sent.
  test_phone_numbers = {
    "+15555550100" = "123456"
  }
  # The Firebase web app's API key (Firebase console, project settings): the legacy sign-in
  # bridge for the unmodified clients signs in with it (identity.legacy_sign_in, on by default).
  web_api_key = "replace_me_web_api_key"
}

alerting = {
  email           = "oncall-dev@sellout.example"
  error_threshold = 20
}
