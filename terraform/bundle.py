"""Package every Cloud Function into a deterministic zip: ``dist/bundles/<name>.zip``.

Each ``functions/<name>/main.py`` directory becomes one bundle holding:

* the function directory's files at the zip root (``main.py`` with its ``handle`` entry point),
* the whole ``shared/`` package as ``shared/``,
* ``graphql_schema/`` (every function gets it: it is small and keeps bundles uniform),
* the repository's ``requirements.txt`` (Cloud Functions installs it at build time).

The zips are byte-for-byte reproducible (sorted entries, fixed timestamps and permissions), so
Terraform can name each uploaded object by the zip's hash: a function whose sources did not
change keeps the same object name and is not redeployed. Standard library only (Python 3.11),
because it runs before any virtualenv exists.

Usage: ``python terraform/bundle.py [--repo-root DIR] [--out DIR]``
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import zipfile
from pathlib import Path

# 1980-01-01 is the earliest date a zip header can hold; any fixed value makes builds repeatable.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# Regular file, rw-r--r--: the same mode whatever the umask or checkout on the building machine.
FILE_MODE = 0o100644 << 16
SKIPPED_DIR_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
SKIPPED_FILE_NAMES = frozenset({".DS_Store"})
# Function directory names become Cloud Function, service account and URL names.
FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")


class BundleError(Exception):
    """A function directory cannot be bundled as it is."""


def find_functions(repo_root: Path) -> list[str]:
    """Names of the function directories: ``functions/<name>/main.py`` exists."""
    functions_dir = repo_root / "functions"
    if not functions_dir.is_dir():
        return []
    return sorted(p.parent.name for p in functions_dir.glob("*/main.py"))


def collect_tree(root: Path, prefix: str) -> dict[str, Path]:
    """Files under ``root`` keyed by their name in the zip (``prefix`` + relative posix path)."""
    files: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in SKIPPED_DIR_NAMES for part in relative.parts):
            continue
        if not path.is_file() or path.name in SKIPPED_FILE_NAMES:
            continue
        if path.suffix in SKIPPED_SUFFIXES:
            continue
        files[prefix + relative.as_posix()] = path
    return files


def bundle_entries(repo_root: Path, name: str) -> dict[str, Path]:
    """Every file of one function's bundle, keyed by its name in the zip."""
    if not FUNCTION_NAME.match(name):
        raise BundleError(
            f"functions/{name}: directory names must be lower-case letters, digits and '-' "
            "(they become Cloud Function and service account names)"
        )
    entries = collect_tree(repo_root / "functions" / name, "")
    common: dict[str, Path] = {}
    shared_dir = repo_root / "shared"
    if not shared_dir.is_dir():
        raise BundleError(f"{shared_dir} is missing: every function imports the shared package")
    common.update(collect_tree(shared_dir, "shared/"))
    schema_dir = repo_root / "graphql_schema"
    if schema_dir.is_dir():
        common.update(collect_tree(schema_dir, "graphql_schema/"))
    requirements = repo_root / "requirements.txt"
    if not requirements.is_file():
        raise BundleError(f"{requirements} is missing: Cloud Functions installs it at build time")
    common["requirements.txt"] = requirements
    clashes = sorted(set(entries) & set(common))
    if clashes:
        # A function-local requirements.txt or shared/ would silently shadow the common one.
        raise BundleError(f"functions/{name} has files that clash with the bundle: {clashes}")
    entries.update(common)
    return entries


def write_zip(entries: dict[str, Path], destination: Path) -> str:
    """Write the entries as a reproducible zip; return its sha256 hex digest."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for arcname in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE_TIME)
            info.external_attr = FILE_MODE
            info.create_system = 3  # Unix, so the mode above is honoured on extraction
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[arcname].read_bytes(), compresslevel=9)
    partial.replace(destination)  # never leave a half-written zip under the final name
    return hashlib.sha256(destination.read_bytes()).hexdigest()


def build_bundles(repo_root: Path, out_dir: Path) -> dict[str, str]:
    """Build every function's zip in ``out_dir``; return {name: sha256}."""
    names = find_functions(repo_root)
    digests = {name: write_zip(bundle_entries(repo_root, name), out_dir / f"{name}.zip") for name in names}
    # A zip left over from a deleted or renamed function would be confusing: remove it.
    if out_dir.is_dir():
        for stale in sorted(out_dir.glob("*.zip")):
            if stale.stem not in digests:
                stale.unlink()
    return digests


def main(argv: list[str] | None = None) -> int:
    default_root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo-root", type=Path, default=default_root)
    parser.add_argument("--out", type=Path, help="default: <repo-root>/dist/bundles")
    args = parser.parse_args(argv)
    repo_root = args.repo_root.resolve()
    out_dir = (args.out or repo_root / "dist" / "bundles").resolve()
    try:
        digests = build_bundles(repo_root, out_dir)
    except BundleError as error:
        print(f"bundle: {error}", file=sys.stderr)
        return 1
    if not digests:
        print(f"bundle: no functions/*/main.py under {repo_root}: nothing to bundle")
    for name, digest in digests.items():
        print(f"{digest}  {out_dir / (name + '.zip')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
