"""terraform/bundle.py: one reproducible zip per function, holding the shared package.

Runs the script as `make bundle` does, on a throwaway repository in tmp_path, so it neither
depends on nor touches the real functions/ and dist/.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tf_layout import TERRAFORM_DIR

BUNDLE_SCRIPT = TERRAFORM_DIR / "bundle.py"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root / "functions" / "fake-fn" / "main.py", "def handle(request):\n    return 'ok'\n")
    write(root / "functions" / "fake-fn" / "helpers.py", "X = 1\n")
    write(root / "functions" / "fake-fn" / "__pycache__" / "main.cpython-311.pyc", "junk")
    write(root / "functions" / "other" / "main.py", "def handle(request):\n    return 'other'\n")
    write(root / "shared" / "__init__.py", "")
    write(root / "shared" / "settings.py", "LEVEL = 'INFO'\n")
    write(root / "shared" / "graphql_api" / "resolvers.py", "R = 2\n")
    write(root / "shared" / "__pycache__" / "settings.cpython-311.pyc", "junk")
    write(root / "graphql_schema" / "root.graphql", "type Query { ok: Boolean }\n")
    write(root / "requirements.txt", "functions-framework==3.10.2\n")
    return root


def run_bundle(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUNDLE_SCRIPT), "--repo-root", str(repo), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bundle_holds_the_function_shared_schema_and_requirements(repo: Path) -> None:
    result = run_bundle(repo)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(repo / "dist" / "bundles" / "fake-fn.zip") as archive:
        names = archive.namelist()
        assert archive.read("main.py").startswith(b"def handle")
    assert names == sorted(names)
    assert names == [
        "graphql_schema/root.graphql",
        "helpers.py",
        "main.py",
        "requirements.txt",
        "shared/__init__.py",
        "shared/graphql_api/resolvers.py",
        "shared/settings.py",
    ]


def test_each_function_gets_its_own_zip_and_the_hash_is_printed(repo: Path) -> None:
    result = run_bundle(repo)
    out = repo / "dist" / "bundles"
    assert sorted(p.name for p in out.iterdir()) == ["fake-fn.zip", "other.zip"]
    for zip_path in out.iterdir():
        assert f"{digest(zip_path)}  {zip_path}" in result.stdout


def test_same_sources_give_the_same_bytes(repo: Path) -> None:
    run_bundle(repo)
    first = digest(repo / "dist" / "bundles" / "fake-fn.zip")
    # New modification times and a rebuild from scratch must not change a byte.
    for path in repo.rglob("*.py"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    (repo / "dist" / "bundles" / "fake-fn.zip").unlink()
    run_bundle(repo)
    assert digest(repo / "dist" / "bundles" / "fake-fn.zip") == first


def test_a_change_in_shared_changes_every_hash_a_change_in_one_function_only_its_own(repo: Path) -> None:
    run_bundle(repo)
    out = repo / "dist" / "bundles"
    before = {p.name: digest(p) for p in out.iterdir()}
    write(repo / "functions" / "other" / "main.py", "def handle(request):\n    return 'changed'\n")
    run_bundle(repo)
    after_function_change = {p.name: digest(p) for p in out.iterdir()}
    assert after_function_change["fake-fn.zip"] == before["fake-fn.zip"]
    assert after_function_change["other.zip"] != before["other.zip"]
    write(repo / "shared" / "settings.py", "LEVEL = 'DEBUG'\n")
    run_bundle(repo)
    after_shared_change = {p.name: digest(p) for p in out.iterdir()}
    assert all(after_shared_change[n] != after_function_change[n] for n in after_shared_change)


def test_entries_have_fixed_timestamps_and_modes(repo: Path) -> None:
    run_bundle(repo)
    with zipfile.ZipFile(repo / "dist" / "bundles" / "fake-fn.zip") as archive:
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
            assert info.external_attr >> 16 == 0o100644, info.filename


def test_a_removed_function_loses_its_zip(repo: Path) -> None:
    run_bundle(repo)
    (repo / "functions" / "other" / "main.py").unlink()
    run_bundle(repo)
    assert sorted(p.name for p in (repo / "dist" / "bundles").iterdir()) == ["fake-fn.zip"]


def test_a_function_file_that_would_shadow_the_bundle_is_refused(repo: Path) -> None:
    write(repo / "functions" / "fake-fn" / "requirements.txt", "flask\n")
    result = run_bundle(repo)
    assert result.returncode == 1
    assert "clash" in result.stderr and "requirements.txt" in result.stderr


def test_no_functions_is_not_an_error(tmp_path: Path) -> None:
    result = run_bundle(tmp_path)
    assert result.returncode == 0
    assert "nothing to bundle" in result.stdout
