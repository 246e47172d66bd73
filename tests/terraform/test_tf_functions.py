"""The function catalogue in terraform/functions.tf matches functions/*/main.py both ways, and
each function gets its own identity, only its secrets, and the access its kind needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from tf_layout import TERRAFORM_DIR, blocks, compare_functions, existing_functions, load_hcl, root_locals

EXPECTED_FUNCTIONS = {
    "graphql",
    "checkout",
    "stripe-webhook",
    "scan",
    "refund",
    "send-email",
    "send-sms",
    "deliver-tickets",
    "webflow-push",
}
PUBLIC = {"graphql", "checkout", "stripe-webhook", "scan"}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, dict]:
    functions: dict[str, dict] = root_locals()["functions"]
    return functions


@pytest.fixture(scope="module")
def function_module() -> dict:
    module: dict = blocks("module", "")["function"]
    return module


# --- the comparison itself -------------------------------------------------------------------


def test_compare_accepts_the_expected_list() -> None:
    assert compare_functions(EXPECTED_FUNCTIONS, set(EXPECTED_FUNCTIONS)) == []


def test_compare_names_a_directory_without_an_entry() -> None:
    problems = compare_functions(EXPECTED_FUNCTIONS | {"new-thing"}, EXPECTED_FUNCTIONS)
    assert problems == ["functions/new-thing/main.py exists but terraform/functions.tf has no entry for it"]


def test_compare_names_an_entry_without_a_directory() -> None:
    problems = compare_functions(EXPECTED_FUNCTIONS - {"scan"}, EXPECTED_FUNCTIONS)
    assert problems == ["terraform/functions.tf declares 'scan' but functions/scan/main.py does not exist"]


def test_existing_functions_needs_a_main_py(tmp_path: Path) -> None:
    (tmp_path / "with-main").mkdir()
    (tmp_path / "with-main" / "main.py").write_text("def handle(request): ...\n")
    (tmp_path / "empty").mkdir()
    assert existing_functions(tmp_path) == {"with-main"}


# --- the repository --------------------------------------------------------------------------


def test_catalogue_declares_the_expected_functions(catalogue: dict) -> None:
    assert compare_functions(EXPECTED_FUNCTIONS, catalogue) == []


def test_catalogue_matches_function_directories(catalogue: dict) -> None:
    # Both ways: a new directory needs an entry, and an entry needs its directory (its bundle).
    assert compare_functions(existing_functions(), catalogue) == []


def test_only_self_authenticating_functions_are_public(catalogue: dict) -> None:
    public = {name for name, entry in catalogue.items() if entry.get("public") is True}
    assert public == PUBLIC


def test_every_private_function_is_a_task_handler(catalogue: dict) -> None:
    handlers = {name for name, entry in catalogue.items() if entry.get("task_handler") is True}
    assert handlers == EXPECTED_FUNCTIONS - PUBLIC


def test_catalogue_entries_use_only_known_settings(catalogue: dict) -> None:
    defaults = root_locals()["function_defaults"]
    for name, entry in catalogue.items():
        assert not set(entry) - set(defaults), f"{name} has settings function_defaults does not know"


def test_each_function_runs_as_its_own_service_account(function_module: dict) -> None:
    account = blocks("resource", "google_service_account")["function"]
    assert account["for_each"] == "${local.functions}"
    assert function_module["for_each"] == "${local.function_settings}"
    assert function_module["service_account_email"] == "${google_service_account.function[each.key].email}"


def test_module_requires_a_service_account_and_uses_handle_on_python311() -> None:
    module_dir = TERRAFORM_DIR / "modules" / "cloud-function"
    module_variables = {}
    for block in load_hcl(module_dir / "variables.tf")["variable"]:
        module_variables.update(block)
    assert "default" not in module_variables["service_account_email"]
    config_type = module_variables["function_config"]["type"]
    assert 'optional(string, "python311")' in config_type.replace("\\", "")
    assert 'optional(string, "handle")' in config_type.replace("\\", "")


def test_functions_get_their_secrets_and_blanks_for_the_rest(function_module: dict) -> None:
    # Settings() requires most secrets and every request builds it, so a function must see each
    # secret variable: granted ones from Secret Manager, the others as "" (not configured).
    assert "local.plain_environment" in function_module["environment_variables"]
    assert "!contains(each.value.secrets, env)" in function_module["environment_variables"]
    assert "each.value.secrets" in function_module["secrets"]


def test_tasks_invoker_can_invoke_only_task_handlers(function_module: dict) -> None:
    members = function_module["invoker"]["members"]
    assert "each.value.task_handler ?" in members
    assert "google_service_account.tasks_invoker.member" in members
    assert function_module["invoker"]["public"] == "${each.value.public}"
