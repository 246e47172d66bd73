"""Checkov policies for what the built-in checks do not cover (SECURITY.md 11, 15, 27).

Loaded by terraform/check.sh with ``--external-checks-dir terraform/checkov_policies``.
Checkov hands each resource's arguments as lists (one element per value); values that come
from variables or other resources may still be unresolved expressions such as
``var.retry_config.max_attempts``: a check accepts those (the module's variable validation
bounds them) and fails only on literal values it can see are wrong, or on missing arguments.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

PUBLIC_PRINCIPALS = ("allUsers", "allAuthenticatedUsers")
DEFAULT_ACCOUNT_SUFFIXES = ("-compute@developer.gserviceaccount.com", "@appspot.gserviceaccount.com")
BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")


def first(conf: dict[str, Any], key: str) -> Any:
    """The single value of an argument or block, or None when absent."""
    value = conf.get(key)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def is_literal(value: Any) -> bool:
    """True when checkov resolved the value (not a variable or resource reference)."""
    return not (isinstance(value, str) and ("var." in value or "${" in value or "local." in value))


class TaskQueueBoundsRetries(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Cloud Tasks queues bound their retries (max_attempts, max_retry_duration; never unlimited)",
            id="CKV_SELLOUT_1",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("google_cloud_tasks_queue",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        retry = first(conf, "retry_config")
        if not isinstance(retry, dict):
            return CheckResult.FAILED
        max_attempts = first(retry, "max_attempts")
        max_duration = first(retry, "max_retry_duration")
        if max_attempts is None or max_duration is None:
            return CheckResult.FAILED
        if is_literal(max_attempts) and int(max_attempts) < 1:  # -1 = unlimited
            return CheckResult.FAILED
        if is_literal(max_duration) and str(max_duration) in ("0s", "0"):  # 0 = unlimited
            return CheckResult.FAILED
        return CheckResult.PASSED


class FunctionHasOwnServiceAccount(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Cloud Functions run and build as a set service account, never a default one",
            id="CKV_SELLOUT_2",
            categories=(CheckCategories.IAM,),
            supported_resources=("google_cloudfunctions2_function",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        service = first(conf, "service_config")
        build = first(conf, "build_config")
        if not isinstance(service, dict) or not isinstance(build, dict):
            return CheckResult.FAILED
        for account in (first(service, "service_account_email"), first(build, "service_account")):
            if not account:
                return CheckResult.FAILED  # unset = the default compute service account
            if str(account).endswith(DEFAULT_ACCOUNT_SUFFIXES):
                return CheckResult.FAILED
        return CheckResult.PASSED


class InvokerNotPublic(BaseResourceCheck):
    """Public invokers need a reviewed `#checkov:skip=CKV_SELLOUT_3:<why>` on the resource.

    The built-in CKV_GCP_102 only knows the v1 Cloud Run IAM resources, not the v2 ones gen2
    functions are invoked through.
    """

    def __init__(self) -> None:
        super().__init__(
            name="Functions and Cloud Run services are not invokable by allUsers without a reason",
            id="CKV_SELLOUT_3",
            categories=(CheckCategories.IAM,),
            supported_resources=(
                "google_cloud_run_v2_service_iam_member",
                "google_cloud_run_v2_service_iam_binding",
                "google_cloud_run_service_iam_member",
                "google_cloud_run_service_iam_binding",
                "google_cloudfunctions2_function_iam_member",
                "google_cloudfunctions2_function_iam_binding",
            ),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        members = [first(conf, "member")] if "member" in conf else (first(conf, "members") or [])
        if any(member in PUBLIC_PRINCIPALS for member in members):
            return CheckResult.FAILED
        return CheckResult.PASSED


class FirestoreIsProtected(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Firestore uses pessimistic concurrency, point-in-time recovery and delete protection",
            id="CKV_SELLOUT_4",
            categories=(CheckCategories.BACKUP_AND_RECOVERY,),
            supported_resources=("google_firestore_database",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        expected = {
            "concurrency_mode": "PESSIMISTIC",
            "point_in_time_recovery_enablement": "POINT_IN_TIME_RECOVERY_ENABLED",
            "delete_protection_state": "DELETE_PROTECTION_ENABLED",
        }
        for argument, value in expected.items():
            if first(conf, argument) != value:
                return CheckResult.FAILED
        return CheckResult.PASSED


class NoSecretValueInTerraform(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Secret values are added with gcloud, never through Terraform (they would sit in the state)",
            id="CKV_SELLOUT_5",
            categories=(CheckCategories.SECRETS,),
            supported_resources=("google_secret_manager_secret_version",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        return CheckResult.FAILED


class NoBasicRoles(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="No basic role (owner, editor, viewer) is granted on any resource",
            id="CKV_SELLOUT_6",
            categories=(CheckCategories.IAM,),
            supported_resources=(
                "google_project_iam_member",
                "google_project_iam_binding",
                "google_service_account_iam_member",
                "google_storage_bucket_iam_member",
                "google_secret_manager_secret_iam_member",
                "google_cloud_tasks_queue_iam_member",
                "google_cloud_run_v2_service_iam_member",
            ),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        if first(conf, "role") in BASIC_ROLES:
            return CheckResult.FAILED
        return CheckResult.PASSED


check_queue = TaskQueueBoundsRetries()
check_function_account = FunctionHasOwnServiceAccount()
check_invoker = InvokerNotPublic()
check_firestore = FirestoreIsProtected()
check_secret_version = NoSecretValueInTerraform()
check_basic_roles = NoBasicRoles()
