# Terraform >= 1.5 for optional() defaults with values, check blocks and import blocks.
# The google provider 6.x brings the Firestore concurrency/PITR/delete-protection arguments,
# Cloud Functions gen2 build service accounts and Cloud Run v2 IAM used below.
terraform {
  required_version = ">= 1.5.0"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.14.0, < 8.0.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = ">= 6.14.0, < 8.0.0"
    }
  }

  # State lives in a bucket the operator creates once (see README.md); the bucket and the
  # prefix are given at init so that nothing environment-specific is committed here:
  #   terraform init -backend-config=bucket=<state-bucket> -backend-config=prefix=sellout/dev
  backend "gcs" {}
}
