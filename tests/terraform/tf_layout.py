"""Read terraform/ and shared/settings.py the way the Terraform tests compare them.

The comparisons are plain functions returning a list of problems (empty = consistent), so each
is unit-tested against hand-made inputs as well as run against the real repository.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_ROOT / "terraform"
FUNCTIONS_DIR = REPO_ROOT / "functions"


def load_hcl(path: Path) -> dict[str, Any]:
    """Parse one .tf/.tfvars file; strings come back without their HCL quotes."""
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=options)


def tf_files(directory: Path = TERRAFORM_DIR) -> list[Path]:
    return sorted(directory.glob("*.tf"))


def root_locals() -> dict[str, Any]:
    """All locals of the root module, merged across its files."""
    merged: dict[str, Any] = {}
    for path in tf_files():
        for block in load_hcl(path).get("locals", []):
            duplicated = set(merged) & set(block)
            assert not duplicated, f"{path.name} redefines locals {duplicated}"
            merged.update(block)
    return merged


def blocks(kind: str, type_name: str, directory: Path = TERRAFORM_DIR) -> dict[str, dict[str, Any]]:
    """Resources (kind='resource', type_name=<type>) or modules (kind='module', type_name='')."""
    found: dict[str, dict[str, Any]] = {}
    for path in tf_files(directory):
        for block in load_hcl(path).get(kind, []):
            if kind == "module":
                found.update(block)
            else:
                found.update(block.get(type_name, {}))
    return found


def variables(directory: Path = TERRAFORM_DIR) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in tf_files(directory):
        for block in load_hcl(path).get("variable", []):
            found.update(block)
    return found


# --- functions --------------------------------------------------------------------------------


def existing_functions(functions_dir: Path = FUNCTIONS_DIR) -> set[str]:
    """Function directories in the repository: functions/<name>/main.py."""
    return {path.parent.name for path in functions_dir.glob("*/main.py")}


def compare_functions(existing: Iterable[str], declared: Iterable[str]) -> list[str]:
    """Problems between the function directories and the Terraform catalogue, both ways."""
    existing_set, declared_set = set(existing), set(declared)
    problems = [
        f"functions/{name}/main.py exists but terraform/functions.tf has no entry for it"
        for name in sorted(existing_set - declared_set)
    ]
    problems += [
        f"terraform/functions.tf declares '{name}' but functions/{name}/main.py does not exist"
        for name in sorted(declared_set - existing_set)
    ]
    return problems


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingField:
    env_var: str
    secret: bool
    required: bool


def settings_fields(settings_class: Any = None) -> list[SettingField]:
    """Fields of shared.settings.Settings that Terraform must provide (local_only ones left out)."""
    if settings_class is None:
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        from shared.settings import Settings

        settings_class = Settings
    from pydantic import SecretStr

    fields = []
    for name, field in settings_class.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, Mapping) else {}
        if extra.get("local_only") is True:
            continue
        annotation = field.annotation
        secret = annotation is SecretStr or SecretStr in typing.get_args(annotation)
        fields.append(SettingField(name.upper(), secret, field.is_required()))
    return fields


def compare_environment(
    fields: Iterable[SettingField],
    plain_environment: Iterable[str],
    secrets: Iterable[str],
    function_secrets: Mapping[str, Iterable[str]],
) -> list[str]:
    """Problems between the settings and what Terraform gives the functions.

    The rule (documented in test_tf_settings.py):
    * every plain (non-secret, non-local) setting is in the common plain environment that every
      function receives, and nothing else is (a typo would otherwise go unnoticed);
    * every SecretStr setting has a Secret Manager secret, and no secret exists for anything else;
    * no secret setting is given as a plain value;
    * every secret a function lists is a defined secret.
    """
    field_list = list(fields)
    plain_fields = {f.env_var for f in field_list if not f.secret}
    secret_fields = {f.env_var for f in field_list if f.secret}
    plain, secret_set = set(plain_environment), set(secrets)
    problems = [
        f"{name} (a setting) is missing from local.plain_environment" for name in sorted(plain_fields - plain)
    ]
    problems += [
        f"{name} is a secret setting but is set in plain_environment"
        for name in sorted(plain & secret_fields)
    ]
    problems += [
        f"{name} in local.plain_environment is not a field of Settings"
        for name in sorted(plain - plain_fields - secret_fields)
    ]
    problems += [
        f"{name} (a secret setting) has no Secret Manager secret"
        for name in sorted(secret_fields - secret_set)
    ]
    problems += [
        f"secret {name} is not a SecretStr field of Settings" for name in sorted(secret_set - secret_fields)
    ]
    for function, listed in sorted(function_secrets.items()):
        problems += [
            f"function {function} lists secret {name}, which secrets.tf does not define"
            for name in sorted(set(listed) - secret_set)
        ]
    return problems
