"""Parse the GraphQL contract tables out of SPEC.md (§4.2, §4.3, §4.5, §4.6).

The SPEC is the source of truth; the tests compare the SDL in ``graphql_schema/``
against what is parsed here, so that a drift in either direction is caught.

Root tables (§4.2 / §4.3) have rows like::

    | `name(arg: Type, arg2: Type!) -> ReturnType` | Role | Tier | Notes |

Object and input types (§4.5 / §4.6) use the compact notation::

    - **Name** — field, field: Type; field: Type!; …
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "SPEC.md"

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
    """Lines between the heading starting with ``start`` and the one with ``end``."""
    begin = text.index("\n" + start)
    finish = text.index("\n" + end, begin + 1)
    return text[begin:finish]


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


def parse_spec(path: Path = SPEC_PATH) -> SpecContract:
    text = path.read_text(encoding="utf-8")
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
