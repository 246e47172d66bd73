variable "project_id" {
  description = "Project that hosts the function."
  type        = string
}

variable "region" {
  description = "Region of the function."
  type        = string
}

variable "prefix" {
  description = "Prefix of the deployed name: '<prefix>-<name>'."
  type        = string
}

variable "name" {
  description = "Function name: its directory under functions/."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.name))
    error_message = "name must be lower-case letters, digits and '-'."
  }
}

variable "description" {
  description = "What the function does, shown in the console."
  type        = string
  default     = null
}

variable "bundle" {
  description = <<-EOT
    Source of the function. Either `path`: a local zip made by `make bundle`, uploaded to
    `bucket` as bundles/<name>-<sha256>.zip, so the object name changes (and the function
    redeploys) exactly when the zip's bytes change; or `object`: an object already in `bucket`
    (rollback to an earlier bundle).
  EOT
  type = object({
    bucket = string
    path   = optional(string)
    object = optional(string)
  })
  validation {
    condition     = (var.bundle.path == null) != (var.bundle.object == null)
    error_message = "Set exactly one of bundle.path and bundle.object."
  }
}

variable "function_config" {
  description = "Runtime sizing. Timeouts above 600 s outlive Cloud Tasks' default dispatch deadline."
  type = object({
    runtime         = optional(string, "python311")
    entry_point     = optional(string, "handle")
    memory_mb       = optional(number, 256)
    cpu             = optional(string)
    timeout_seconds = optional(number, 60)
    min_instances   = optional(number, 0)
    max_instances   = optional(number, 10)
    # Requests one instance serves at once; above 1 needs at least one whole CPU.
    concurrency = optional(number, 1)
  })
  default = {}
  validation {
    condition     = contains([128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768], var.function_config.memory_mb)
    error_message = "function_config.memory_mb must be a power of two between 128 and 32768."
  }
  validation {
    # HTTP functions (gen2) can run up to 60 minutes.
    condition     = var.function_config.timeout_seconds >= 1 && var.function_config.timeout_seconds <= 3600
    error_message = "function_config.timeout_seconds must be between 1 and 3600."
  }
  validation {
    # A cap bounds the bill and protects Firestore and the SaaS APIs during a traffic spike.
    condition = (
      var.function_config.max_instances >= 1 &&
      var.function_config.min_instances >= 0 &&
      var.function_config.min_instances <= var.function_config.max_instances
    )
    error_message = "function_config needs 0 <= min_instances <= max_instances and max_instances >= 1."
  }
}

variable "environment_variables" {
  description = "Plain environment variables (never secrets: those go in `secrets`)."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variable name => Secret Manager secret id (same project), latest version."
  type        = map(string)
  default     = {}
}

variable "service_account_email" {
  description = <<-EOT
    Runtime identity. Required: a dedicated account per function, never the default compute
    account (which has Editor on the project).
  EOT
  type        = string
  validation {
    condition     = !endswith(var.service_account_email, "-compute@developer.gserviceaccount.com")
    error_message = "Functions never run as the default compute service account."
  }
}

variable "build_service_account_id" {
  description = "Service account Cloud Build uses to build the image (full resource id)."
  type        = string
}

variable "invoker" {
  description = <<-EOT
    Who may call the function. `public` grants allUsers run.invoker: only for functions that
    authenticate callers themselves. `members` are principals allowed to call with an OIDC token,
    keyed by a fixed label (the values may be unknown until apply; for_each keys may not).
  EOT
  type = object({
    public  = optional(bool, false)
    members = optional(map(string), {})
  })
  default = {}
}

variable "labels" {
  description = "Labels on the function."
  type        = map(string)
  default     = {}
}
