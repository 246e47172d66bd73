"""Every Terraform file parses, and both environments set every variable that has no default."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tf_layout import REPO_ROOT, TERRAFORM_DIR, load_hcl, variables

TF_FILES = sorted(TERRAFORM_DIR.rglob("*.tf"))
TFVARS_FILES = sorted((TERRAFORM_DIR / "environments").glob("*.tfvars"))


def test_the_configuration_has_its_modules_and_environments() -> None:
    names = {path.relative_to(TERRAFORM_DIR).as_posix() for path in TF_FILES}
    assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "functions.tf"} <= names
    assert {"modules/cloud-function/main.tf", "modules/task-queue/main.tf"} <= names
    assert {path.name for path in TFVARS_FILES} == {"dev.tfvars", "prod.tfvars"}


@pytest.mark.parametrize("path", TF_FILES + TFVARS_FILES, ids=lambda p: str(p.relative_to(TERRAFORM_DIR)))
def test_file_parses(path: Path) -> None:
    assert isinstance(load_hcl(path), dict)


@pytest.mark.parametrize("path", TFVARS_FILES, ids=lambda p: p.name)
def test_environment_sets_exactly_declared_variables(path: Path) -> None:
    declared = variables()
    values = load_hcl(path)
    assert not set(values) - set(declared), "tfvars sets variables that do not exist"
    required = {name for name, body in declared.items() if "default" not in body}
    assert not required - set(values), f"{path.name} leaves required variables unset"


def test_backend_is_gcs_with_bucket_given_at_init() -> None:
    (terraform,) = load_hcl(TERRAFORM_DIR / "versions.tf")["terraform"]
    (backend,) = terraform["backend"]
    assert backend == {"gcs": {}}, "the state bucket must come from -backend-config, not the code"


def test_firestore_index_file_is_in_firebase_cli_format() -> None:
    data = json.loads((REPO_ROOT / "firestore.indexes.json").read_text(encoding="utf-8"))
    assert isinstance(data.get("indexes"), list)
    assert isinstance(data.get("fieldOverrides"), list)
    for index in data["indexes"]:
        assert index["collectionGroup"] and index["fields"], index
        for field in index["fields"]:
            assert field["fieldPath"] and ("order" in field or "arrayConfig" in field), field


def test_firestore_rules_deny_every_client_access() -> None:
    rules = (REPO_ROOT / "firestore.rules").read_text(encoding="utf-8")
    code = re.sub(r"//.*", "", rules)
    allows = re.findall(r"allow [^;]*;", code)
    assert allows == ["allow read, write: if false;"], allows
