# The function catalogue: one entry per directory under functions/ (tests/terraform checks both
# directions). Adding a function = adding an entry; anything left out takes function_defaults.
#   public        allUsers may invoke: only for functions that authenticate callers themselves
#   task_handler  Cloud Tasks delivers to it: tasks-invoker gets run.invoker on it
#   secrets       Settings fields (env var names) it reads from Secret Manager (secrets.tf)
#   roles         project roles of its service account
#   bucket_roles  bucket (storage.tf key) => role on that bucket only
#   enqueues      queues (tasks.tf key) it adds tasks to
#   signs_urls    makes V4 signed URLs (needs signBlob on its own service account)
#   callers       other functions allowed to call it directly with an OIDC token
locals {
  functions = {
    graphql = {
      description = "GraphQL API of Backstage and the purchase portal; verifies Firebase ID tokens itself."
      public      = true
      # TICKET_SIGNING_KEY: scanOrder verifies QR codes, break-apart printing (R-QR-8) signs them.
      secrets = ["STRIPE_SECRET_KEY", "SEATSIO_SECRET_KEY", "TICKET_SIGNING_KEY"]
      roles   = ["roles/datastore.user", "roles/firebaseauth.admin"] # staff claims, revocation
      bucket_roles = {
        # uploads: posters; tickets: break-apart QR images; reports: CSV exports, handed out signed
        uploads = "roles/storage.objectAdmin", tickets = "roles/storage.objectAdmin",
        reports = "roles/storage.objectAdmin",
      }
      # Runs checkout (hold expiry), order reactions (delivery, geolocation, listing re-sync),
      # refunds (seat-release retries) and account e-mails in-process: every queue they feed.
      enqueues      = ["reservations", "delivery", "refunds", "webflow", "background"]
      signs_urls    = true # poster uploads, ticket downloads, report downloads
      memory_mb     = 512
      max_instances = 20
    }
    checkout = {
      description   = "Buyer checkout: holds inventory, creates the PaymentIntent; verifies Firebase ID tokens itself. Also receives the reservations queue's hold-expiry and seat-release tasks and the background queue's IP-geolocation and new-org seats.io tasks (checks their OIDC token itself)."
      public        = true
      secrets       = ["STRIPE_SECRET_KEY", "SEATSIO_SECRET_KEY", "IPGEO_ACCESS_KEY"]
      roles         = ["roles/datastore.user", "roles/firebaseauth.viewer"] # check_revoked
      enqueues      = ["reservations", "delivery", "webflow", "background"] # webflow: listing re-sync per sale
      memory_mb     = 512
      max_instances = 50 # on-sales
    }
    "stripe-webhook" = {
      description   = "Stripe account and Connect webhooks; verifies Stripe's signature itself."
      public        = true
      secrets       = ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_CONNECT_WEBHOOK_SECRET", "SEATSIO_SECRET_KEY"]
      roles         = ["roles/datastore.user"]
      enqueues      = ["reservations", "delivery", "refunds", "webflow", "background"]
      max_instances = 20
    }
    scan = {
      description   = "Check-in API of the scanner app; verifies Firebase ID tokens itself."
      public        = true
      secrets       = ["TICKET_SIGNING_KEY"] # the public key that verifies QR codes derives from it
      roles         = ["roles/datastore.user", "roles/firebaseauth.viewer"]
      max_instances = 20
    }
    refund = {
      description     = "Refunds and cancellations; fans refund-all out over the refunds queue. Runs the daily Stripe reconciliation (Cloud Scheduler, then one task per account on the refunds queue)."
      task_handler    = true
      secrets         = ["STRIPE_SECRET_KEY"]
      roles           = ["roles/datastore.user"]
      enqueues        = ["refunds", "delivery", "reservations", "webflow"] # seat-release retries, re-sync
      timeout_seconds = 300
    }
    "send-email" = {
      description  = "Sends one transactional e-mail through SendGrid."
      task_handler = true
      secrets      = ["SENDGRID_API_KEY"]
      # firebaseauth.admin: password-reset links are minted here, so they never sit in a task payload.
      roles = ["roles/datastore.user", "roles/firebaseauth.admin"]
      bucket_roles = {
        tickets = "roles/storage.objectViewer", # QR attachments
        # Sales-report PDFs (R-RP-5) and large CSV exports (R-RP-1..3): new objects, and signed
        # GET links to them. A signed URL carries the signer's own permissions, so objects.get is
        # needed too (objectCreator alone would sign links that answer 403).
        reports = "roles/storage.objectUser",
      }
      signs_urls      = true # the sales-report and large-export links in the mail
      memory_mb       = 512  # a large export's rows are held until the CSV is uploaded
      timeout_seconds = 300  # large exports (BUILD_LEASE in shared/domain/report_jobs.py is longer)
      # A NotifyEvent task re-enqueues itself when sales start moved later or is > 30 days away;
      # a SalesReport run plans the next one; an export looks again when a build's lease ends.
      enqueues = ["delivery", "background"]
    }
    "send-sms" = {
      description  = "Sends one SMS through Plivo."
      task_handler = true
      secrets      = ["PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN"]
      roles        = ["roles/datastore.user"]
    }
    "deliver-tickets" = {
      description     = "Signs ticket QR codes, stores their images and queues the e-mail/SMS."
      task_handler    = true
      secrets         = ["TICKET_SIGNING_KEY"]
      roles           = ["roles/datastore.user"]
      bucket_roles    = { tickets = "roles/storage.objectAdmin" } # reissue overwrites
      enqueues        = ["delivery"]
      signs_urls      = true # ticket links in SMS
      memory_mb       = 512
      timeout_seconds = 300
    }
    "webflow-push" = {
      description     = "Publishes events to the organizer's Webflow site."
      task_handler    = true
      secrets         = ["WEBFLOW_API_TOKEN"]
      roles           = ["roles/datastore.user"]
      bucket_roles    = { uploads = "roles/storage.objectViewer" } # posters Webflow fetches
      signs_urls      = true
      timeout_seconds = 120
      max_instances   = 2 # Webflow allows 60 requests a minute
      # An UpdateWebFlowEvent re-sync more than 30 days ahead re-enqueues itself (R-WF-6).
      enqueues = ["webflow"]
    }
  }

  function_defaults = {
    description     = null
    public          = false
    task_handler    = false
    secrets         = []
    roles           = []
    bucket_roles    = {}
    enqueues        = []
    signs_urls      = false
    callers         = []
    memory_mb       = 256
    timeout_seconds = 60
    min_instances   = 0
    max_instances   = 10
  }

  # Catalogue entry + defaults + this environment's overrides (unset override fields ignored).
  function_settings = {
    for name, fn in local.functions : name => merge(
      local.function_defaults,
      fn,
      { for key, value in try(var.function_overrides[name], {}) : key => value if value != null },
    )
  }

  bundle_dir = coalesce(var.bundle_dir, "${path.root}/../dist/bundles")
}

module "function" {
  source      = "./modules/cloud-function"
  for_each    = local.function_settings
  project_id  = var.project_id
  region      = var.region
  prefix      = var.prefix
  name        = each.key
  description = each.value.description
  labels      = local.labels

  bundle = {
    bucket = google_storage_bucket.bundles.name
    path   = contains(keys(var.bundle_overrides), each.key) ? null : "${local.bundle_dir}/${each.key}.zip"
    object = lookup(var.bundle_overrides, each.key, null)
  }

  function_config = {
    memory_mb       = each.value.memory_mb
    timeout_seconds = each.value.timeout_seconds
    min_instances   = each.value.min_instances
    max_instances   = each.value.max_instances
  }

  # Settings() declares most secrets required, and every request builds it: a secret this
  # function is not granted is set to "" (unconfigured) so the settings load, while its value
  # stays out of reach of this function's identity.
  environment_variables = merge(
    local.plain_environment,
    { for env in keys(local.secrets) : env => "" if !contains(each.value.secrets, env) },
  )
  secrets = { for env in each.value.secrets : env => google_secret_manager_secret.secret[env].secret_id }

  service_account_email    = google_service_account.function[each.key].email
  build_service_account_id = google_service_account.build.id

  invoker = {
    public = each.value.public
    members = merge(
      each.value.task_handler ? { "tasks-invoker" = google_service_account.tasks_invoker.member } : {},
      { for caller in each.value.callers : "function-${caller}" => google_service_account.function[caller].member },
    )
  }

  depends_on = [
    google_project_service.service,
    google_project_iam_member.build,
  ]
}

# Catalogue mistakes fail the plan with a clear message instead of a provider error mid-apply.
resource "terraform_data" "function_catalogue_guards" {
  input = keys(local.functions)
  lifecycle {
    precondition {
      condition     = alltrue([for name in keys(var.function_overrides) : contains(keys(local.functions), name)])
      error_message = "function_overrides names a function that is not in functions.tf."
    }
    precondition {
      condition     = alltrue([for name in keys(var.bundle_overrides) : contains(keys(local.functions), name)])
      error_message = "bundle_overrides names a function that is not in functions.tf."
    }
    precondition {
      condition     = alltrue(flatten([for fn in local.function_settings : [for env in fn.secrets : contains(keys(local.secrets), env)]]))
      error_message = "A function lists a secret that secrets.tf does not define."
    }
    precondition {
      condition     = alltrue(flatten([for fn in local.function_settings : [for queue in fn.enqueues : contains(keys(local.queues), queue)]]))
      error_message = "A function enqueues into a queue that tasks.tf does not define."
    }
    precondition {
      condition     = alltrue(flatten([for fn in local.function_settings : [for bucket in keys(fn.bucket_roles) : contains(keys(local.buckets), bucket)]]))
      error_message = "A function has a role on a bucket that storage.tf does not define."
    }
    precondition {
      condition     = alltrue(flatten([for fn in local.function_settings : [for caller in fn.callers : contains(keys(local.functions), caller)]]))
      error_message = "A function lists a caller that is not a function."
    }
    precondition {
      # Cloud Tasks waits 10 minutes by default (dispatch deadline) before it counts an attempt
      # as failed and retries: a handler running longer would be run twice at once.
      condition     = alltrue([for fn in local.function_settings : fn.timeout_seconds <= 600 if fn.task_handler])
      error_message = "Task handlers must time out within Cloud Tasks' 600 s dispatch deadline."
    }
    precondition {
      condition     = alltrue([for fn in local.function_settings : !(fn.public && fn.task_handler)])
      error_message = "A function is either public or a private task handler, not both."
    }
  }
}
