# Production: live Stripe key, no test numbers, warm instances for the public functions.
# terraform init -backend-config=bucket=<state-bucket> -backend-config=prefix=sellout/prod
# terraform apply -var-file=environments/prod.tfvars

project_id  = "sellout-prod"
region      = "us-central1"
prefix      = "sellout-prod"
environment = "prod"

stripe_publishable_key = "pk_live_replace_me"

messaging = {
  email_from      = "tickets@sellout.example"
  sms_from_number = "+15550100001"
}

cors_allowed_origins = [
  "https://backstage.sellout.example",
  "https://tickets.sellout.example",
]

graphql = {
  introspection = false
  max_depth     = 12
  max_cost      = 5000
}

log_level = "INFO"

firestore = {
  location_id = "nam5"
}

identity = {
  authorized_domains  = ["backstage.sellout.example", "tickets.sellout.example"]
  sms_allowed_regions = ["US", "CA"]
  # The Firebase web app's API key (Firebase console, project settings): the legacy sign-in
  # bridge for the unmodified clients signs in with it (identity.legacy_sign_in, on by default).
  web_api_key = "replace_me_web_api_key"
}

alerting = {
  email           = "oncall@sellout.example"
  error_threshold = 5
}

# On-sale traffic: keep the buyer-facing functions warm and let them scale further.
function_overrides = {
  checkout = { min_instances = 1, max_instances = 100 }
  graphql  = { min_instances = 1, max_instances = 40 }
  scan     = { min_instances = 1 }
}
