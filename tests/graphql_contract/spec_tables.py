"""Parse the GraphQL contract tables of SPEC §4.2, §4.3, §4.5 and §4.6.

The SPEC (``shared/SPEC.md``, kept beside the repository, not in it) is the source of truth; the
tests compare the SDL in ``graphql_schema/`` against what is parsed here, so that a drift in
either direction is caught. So that they run in any clone, those sections are extracted once,
verbatim, into ``spec_contract.md`` next to this file (with a note of their source):

    python -m tests.graphql_contract.spec_tables --write   # after a SPEC change: refresh the extract
    python -m tests.graphql_contract.spec_tables --check   # the extract still matches ../shared/SPEC.md

``make check`` runs ``--check`` whenever ``../shared/SPEC.md`` is there (as in CI), so the extract
cannot drift from the SPEC unnoticed.

Root tables (§4.2 / §4.3) have rows like::

    | `name(arg: Type, arg2: Type!) -> ReturnType` | Role | Tier | Notes |

Object and input types (§4.5 / §4.6) use the compact notation::

    - **Name** — field, field: Type; field: Type!; …
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

SHARED_SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "SPEC.md"
CONTRACT_PATH = Path(__file__).resolve().parent / "spec_contract.md"
# The extract runs from the first heading to just before the second, verbatim.
EXTRACT_FROM, EXTRACT_TO = "### 4.2 ", "### 4.7 "

_ROOT_ROW = re.compile(r"^\|\s*`(?P<sig>[^`]+)`\s*\|(?P<rest>.*)\|\s*$")
_SIG = re.compile(r"^(?P<name>\w+)\((?P<args>[^)]*)\)\s*->\s*(?P<ret>\S+)$")
_TYPE_LINE = re.compile(r"^- \*\*(?P<name>\w+)\*\* — (?P<body>.+)$")


@dataclass(frozen=True)
class RootField:
    name: str
    args: dict[str, str]  # arg name -> printed type, in declaration order
    type: str  # printed return type
    role: str
    tier: str
    notes: str
    additive: bool = False


@dataclass
class SpecContract:
    query: dict[str, RootField] = field(default_factory=dict)
    mutation: dict[str, RootField] = field(default_factory=dict)
    objects: dict[str, dict[str, str]] = field(default_factory=dict)
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)
    query_count_heading: int | None = None
    mutation_count_heading: int | None = None


def _section(text: str, start: str, end: str) -> str:
    """Lines between the heading starting with ``start`` and the one with ``end`` (or the end)."""
    begin = text.index("\n" + start)
    finish = text.find("\n" + end, begin + 1)
    return text[begin:] if finish < 0 else text[begin:finish]


def extract(spec_text: str) -> str:
    """The contract sections of the SPEC, verbatim, under a note of where they came from."""
    body = _section(spec_text, EXTRACT_FROM, EXTRACT_TO).strip("\n")
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return (
        f"<!-- Extracted verbatim from shared/SPEC.md, from '{EXTRACT_FROM.strip()}' up to "
        f"'{EXTRACT_TO.strip()}' (sha256 {digest}).\n"
        "     Do not edit: change the SPEC, then run\n"
        "     `python -m tests.graphql_contract.spec_tables --write`. -->\n\n"
        f"{body}\n"
    )


def _parse_args(raw: str) -> dict[str, str]:
    args: dict[str, str] = {}
    raw = raw.strip()
    if not raw:
        return args
    for part in raw.split(","):
        name, _, type_ = part.partition(":")
        name, type_ = name.strip(), type_.strip()
        if not name or not type_:
            raise ValueError(f"cannot parse argument {part!r}")
        args[name] = type_
    return args


def _parse_root_table(section: str) -> dict[str, RootField]:
    fields: dict[str, RootField] = {}
    additive = False
    for line in section.splitlines():
        if line.lower().startswith("additive fields"):
            additive = True
        m = _ROOT_ROW.match(line.strip())
        if not m:
            continue
        sig = _SIG.match(m["sig"].strip())
        if not sig:
            raise ValueError(f"cannot parse root signature {m['sig']!r}")
        cells = [c.strip() for c in m["rest"].split("|")]
        role, tier, notes = [*cells, "", "", ""][:3]
        name = sig["name"]
        if name in fields:
            raise ValueError(f"duplicate root field {name}")
        fields[name] = RootField(
            name=name,
            args=_parse_args(sig["args"]),
            type=sig["ret"],
            role=role,
            tier=tier,
            notes=notes,
            additive=additive,
        )
    return fields


def parse_compact_fields(body: str) -> dict[str, str]:
    """``a, b: String; c: [Int]!`` -> ``{"a": "String", "b": "String", "c": "[Int]!"}``."""
    fields: dict[str, str] = {}
    for raw_group in body.split(";"):
        group = raw_group.strip()
        if not group:
            continue
        names, sep, type_ = group.rpartition(":")
        if not sep:
            raise ValueError(f"cannot parse field group {group!r}")
        type_ = type_.strip()
        for raw_name in names.split(","):
            name = raw_name.strip()
            if not re.fullmatch(r"\w+", name):
                raise ValueError(f"bad field name {name!r} in {group!r}")
            if name in fields:
                raise ValueError(f"duplicate field {name!r} in {body!r}")
            fields[name] = type_
    return fields


def _parse_type_list(section: str) -> dict[str, dict[str, str]]:
    types: dict[str, dict[str, str]] = {}
    for line in section.splitlines():
        m = _TYPE_LINE.match(line.strip())
        if m:
            if m["name"] in types:
                raise ValueError(f"duplicate type {m['name']}")
            types[m["name"]] = parse_compact_fields(m["body"])
    return types


def _heading_count(section: str) -> int | None:
    m = re.search(r"\((\d+) fields\)", section.splitlines()[1])
    return int(m.group(1)) if m else None


def parse_spec(path: Path = CONTRACT_PATH) -> SpecContract:
    """The contract from the in-repo extract (by default) or from SPEC.md itself."""
    text = path.read_text(encoding="utf-8")
    text = "\n" + text  # a heading on the first line is still found as "\n### ..."
    q = _section(text, "### 4.2 ", "### 4.3 ")
    mu = _section(text, "### 4.3 ", "### 4.4 ")
    return SpecContract(
        query=_parse_root_table(q),
        mutation=_parse_root_table(mu),
        objects=_parse_type_list(_section(text, "### 4.5 ", "### 4.6 ")),
        inputs=_parse_type_list(_section(text, "### 4.6 ", "### 4.7 ")),
        query_count_heading=_heading_count(q),
        mutation_count_heading=_heading_count(mu),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Keep spec_contract.md in step with SPEC.md.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="refresh the extract from the SPEC")
    action.add_argument("--check", action="store_true", help="fail if the extract differs from the SPEC")
    parser.add_argument("--spec", type=Path, default=SHARED_SPEC_PATH)
    args = parser.parse_args()
    if not args.spec.is_file():
        print(f"SPEC tables: {args.spec} is absent; the in-repo extract is used as it is")
        return
    wanted = extract(args.spec.read_text(encoding="utf-8"))
    if args.write:
        CONTRACT_PATH.write_text(wanted, encoding="utf-8")
        print(f"SPEC tables: wrote {CONTRACT_PATH.name}")
    elif CONTRACT_PATH.read_text(encoding="utf-8") != wanted:
        sys.exit(
            f"SPEC tables: {CONTRACT_PATH} differs from {args.spec}; "
            "run `python -m tests.graphql_contract.spec_tables --write`, then fix what the tests find"
        )
    else:
        print(f"SPEC tables: {CONTRACT_PATH.name} matches {args.spec}")


if __name__ == "__main__":
    main()
