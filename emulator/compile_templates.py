"""Compiles the MJML e-mail templates to HTML with the real MJML (npm `mjml`, pinned in
emulator/package.json and installed by `make install`).

    python -m emulator.compile_templates          # rewrite shared/templates/email/<key>.html
    python -m emulator.compile_templates --check  # exit 1 if a committed .html is stale

Cloud Functions run Python and never call node: the compiled HTML is committed next to its
source and rendered with Jinja2 at send time. Jinja syntax survives compilation: `{{ ... }}`
as text or attribute values, and `{% ... %}` between MJML elements wrapped in `<mj-raw>`.
Files starting with `_` are partials (`<mj-include>`), not templates of their own.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from emulator.config import REPO_ROOT

TEMPLATE_DIR = REPO_ROOT / "shared" / "templates" / "email"
MJML_MODULE = REPO_ROOT / "emulator" / "node_modules" / "mjml"

# MJML checks colours; a Jinja placeholder (the organization's colour, checked in Python) is
# the one "invalid" value we mean to write.
_PLACEHOLDER_COLOUR = re.compile(r"has invalid value: \{\{[^}]*\}\} for type Color")

_NODE_SCRIPT = r"""
const mjml = require(process.argv[1]);
const fs = require('fs');
const files = JSON.parse(fs.readFileSync(0, 'utf8'));
Promise.all(files.map(async (path) => {
  const result = await Promise.resolve(mjml(fs.readFileSync(path, 'utf8'), {
    filePath: path, validationLevel: 'soft', keepComments: false, ignoreIncludes: false,
  }));
  return {path, html: result.html, errors: result.errors.map((e) => e.formattedMessage)};
})).then((out) => process.stdout.write(JSON.stringify(out)),
         (err) => { process.stderr.write(String(err)); process.exit(1); });
"""


class TemplateCompileError(RuntimeError):
    pass


def mjml_available() -> bool:
    return shutil.which("node") is not None and (MJML_MODULE / "package.json").exists()


def sources(template_dir: Path = TEMPLATE_DIR) -> list[Path]:
    return sorted(p for p in template_dir.glob("*.mjml") if not p.name.startswith("_"))


def compile_all(template_dir: Path = TEMPLATE_DIR) -> dict[Path, str]:
    """{target .html path: compiled HTML} for every template source."""
    if not mjml_available():
        raise TemplateCompileError("node or emulator/node_modules/mjml is missing: run `make install`.")
    paths = [str(p) for p in sources(template_dir)]
    done = subprocess.run(
        ["node", "-e", _NODE_SCRIPT, str(MJML_MODULE)],
        input=json.dumps(paths), capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise TemplateCompileError(f"mjml failed: {done.stderr[-2000:]}")
    compiled: dict[Path, str] = {}
    problems: list[str] = []
    for result in json.loads(done.stdout):
        problems += [
            f"{Path(result['path']).name}: {e}" for e in result["errors"] if not _PLACEHOLDER_COLOUR.search(e)
        ]
        compiled[Path(result["path"]).with_suffix(".html")] = result["html"].rstrip() + "\n"
    if problems:
        raise TemplateCompileError("MJML validation failed:\n" + "\n".join(problems))
    return compiled


def stale(template_dir: Path = TEMPLATE_DIR) -> list[str]:
    """Templates whose committed HTML differs from what their MJML compiles to now."""
    return sorted(
        path.name
        for path, html in compile_all(template_dir).items()
        if not path.exists() or path.read_text() != html
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail if a compiled template is stale")
    args = parser.parse_args()
    try:
        if args.check:
            outdated = stale()
            if outdated:
                print("stale compiled templates (run python -m emulator.compile_templates):", *outdated)
                sys.exit(1)
            print("compiled templates are up to date")
            return
        for path, html in compile_all().items():
            path.write_text(html)
            print(f"  wrote {path.relative_to(REPO_ROOT)}")
    except TemplateCompileError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
