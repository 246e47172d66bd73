"""The SDL in graphql_schema/ loads, builds and matches SPEC §4 exactly.

Expected names and signatures are parsed at test time from spec_contract.md, the
in-repo verbatim extract of SPEC.md §4.2-§4.6 (§4.2 Query root, §4.3 Mutation root +
additive fields, §4.5 object types, §4.6 input types; `make check` fails when it no
longer matches ../shared/SPEC.md). The §7 quirk tests at the bottom are hard-coded.
"""

from __future__ import annotations

import re

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    parse,
    specified_directives,
    validate_schema,
)
from graphql.language import ObjectTypeDefinitionNode, ObjectTypeExtensionNode
from graphql.pyutils import Undefined

from . import spec_tables
from .conftest import SCHEMA_DIR
from .spec_tables import SpecContract

ALLOWED_SCALARS = {"String", "Int", "Float", "Boolean", "Upload"}
ADDITIVE_MUTATIONS = {"extendSeatingHoldToken"}
# Additive operations SPEC §4 does not list (new back-office features no existing client sends).
ADDITIVE_QUERIES = {"reconciliationMismatches"}
ADDITIVE_OBJECTS = {"ReconciliationMismatch"}


def _user_types(schema: GraphQLSchema) -> dict:
    return {n: t for n, t in schema.type_map.items() if not n.startswith("__")}


def _diff(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    out = [f"missing {k}: {v}" for k, v in expected.items() if k not in actual]
    out += [f"unexpected {k}: {v}" for k, v in actual.items() if k not in expected]
    out += [
        f"{k}: expected {v}, got {actual[k]}" for k, v in expected.items() if k in actual and actual[k] != v
    ]
    return out


# --------------------------------------------------------------------------- build


def test_sdl_loads_and_builds(schema: GraphQLSchema) -> None:
    assert validate_schema(schema) == []
    assert schema.query_type is not None and schema.query_type.name == "Query"
    assert schema.mutation_type is not None and schema.mutation_type.name == "Mutation"
    assert schema.subscription_type is None


def test_each_file_has_header_comment() -> None:
    files = sorted(SCHEMA_DIR.glob("*.graphql"))
    assert len(files) >= 10
    for path in files:
        first = path.read_text(encoding="utf-8").lstrip().splitlines()[0]
        assert first.startswith("#"), f"{path.name} must start with a header comment"


def test_query_and_mutation_declared_once() -> None:
    """`type Query` / `type Mutation` are declared once; domain files extend them."""
    defs: dict[str, int] = {"Query": 0, "Mutation": 0}
    for path in SCHEMA_DIR.glob("*.graphql"):
        for node in parse(path.read_text(encoding="utf-8")).definitions:
            if isinstance(node, ObjectTypeDefinitionNode) and node.name.value in defs:
                defs[node.name.value] += 1
            if isinstance(node, ObjectTypeExtensionNode):
                assert node.name.value in defs, f"{path.name} extends {node.name.value}"
    assert defs == {"Query": 1, "Mutation": 1}


def test_only_allowed_scalars_and_no_enums(schema: GraphQLSchema) -> None:
    types = _user_types(schema)
    scalars = {n for n, t in types.items() if isinstance(t, GraphQLScalarType)}
    assert scalars <= ALLOWED_SCALARS, scalars - ALLOWED_SCALARS
    assert "Upload" in scalars
    assert [n for n, t in types.items() if isinstance(t, GraphQLEnumType)] == []
    assert [n for n, t in types.items() if isinstance(t, GraphQLInterfaceType | GraphQLUnionType)] == []


def test_no_custom_directives(schema: GraphQLSchema) -> None:
    assert {d.name for d in schema.directives} == {d.name for d in specified_directives}


def test_ids_are_underscore_id(schema: GraphQLSchema) -> None:
    """§2.2 / §7.11: `_id: String` everywhere; only StripeTerminalReader has `id`."""
    offenders = []
    for name, t in _user_types(schema).items():
        if isinstance(t, GraphQLObjectType | GraphQLInputObjectType):
            if "id" in t.fields and name != "StripeTerminalReader":
                offenders.append(name)
            if "_id" in t.fields and str(t.fields["_id"].type) not in {"String", "String!"}:
                offenders.append(f"{name}._id: {t.fields['_id'].type}")
    assert offenders == []


# --------------------------------------------------------------------------- roots


def _root_signatures(root: GraphQLObjectType) -> dict[str, tuple[list[tuple[str, str]], str]]:
    return {
        name: ([(a, str(arg.type)) for a, arg in f.args.items()], str(f.type))
        for name, f in root.fields.items()
    }


def test_spec_table_counts(spec: SpecContract) -> None:
    """Sanity check of the SPEC parser against the section headings."""
    assert len(spec.query) == spec.query_count_heading == 63
    base = [n for n, f in spec.mutation.items() if not f.additive]
    assert len(base) == spec.mutation_count_heading == 95
    assert {n for n, f in spec.mutation.items() if f.additive} == ADDITIVE_MUTATIONS


def test_query_root_field_names(schema: GraphQLSchema, spec: SpecContract) -> None:
    assert schema.query_type is not None
    assert sorted(schema.query_type.fields) == sorted([*spec.query, *ADDITIVE_QUERIES])
    assert len(schema.query_type.fields) == 63 + len(ADDITIVE_QUERIES)


def test_mutation_root_field_names(schema: GraphQLSchema, spec: SpecContract) -> None:
    assert schema.mutation_type is not None
    assert sorted(schema.mutation_type.fields) == sorted(spec.mutation)
    assert len(schema.mutation_type.fields) == 95 + len(ADDITIVE_MUTATIONS)


@pytest.mark.parametrize("root_name", ["Query", "Mutation"])
def test_root_signatures_match_spec(schema: GraphQLSchema, spec: SpecContract, root_name: str) -> None:
    root = schema.get_type(root_name)
    assert isinstance(root, GraphQLObjectType)
    expected = spec.query if root_name == "Query" else spec.mutation
    actual = _root_signatures(root)
    problems = []
    for name, f in expected.items():
        if name not in actual:
            continue  # reported by the name tests
        args, ret = actual[name]
        if ret != f.type:
            problems.append(f"{root_name}.{name} returns {ret}, SPEC says {f.type}")
        if args != list(f.args.items()):
            problems.append(f"{root_name}.{name}{args} != SPEC {list(f.args.items())}")
        for a, arg in root.fields[name].args.items():
            if arg.default_value is not Undefined:
                problems.append(f"{root_name}.{name}({a}) must not declare a default")
    assert problems == []


@pytest.mark.parametrize("root_name", ["Query", "Mutation"])
def test_root_fields_document_role_and_rules(
    schema: GraphQLSchema, spec: SpecContract, root_name: str
) -> None:
    """Each root field's doc string names the Role column and the rule ids of the Notes column."""
    root = schema.get_type(root_name)
    assert isinstance(root, GraphQLObjectType)
    expected = spec.query if root_name == "Query" else spec.mutation
    problems = []
    for name, f in expected.items():
        desc = root.fields[name].description or ""
        if f"Role: {f.role}" not in desc:
            problems.append(f"{name}: description lacks 'Role: {f.role}'")
        for rule in re.findall(r"\b(?:R-[A-Z0-9]+(?:-\d+)?|D-\d+)\b", f.notes):
            if rule not in desc:
                problems.append(f"{name}: description lacks rule id {rule}")
    assert problems == []


# --------------------------------------------------------------------------- types


def test_type_inventory(schema: GraphQLSchema, spec: SpecContract) -> None:
    """No object or input type beyond §4.5 / §4.6 (plus the two roots)."""
    types = _user_types(schema)
    objects = {n for n, t in types.items() if isinstance(t, GraphQLObjectType)} - {"Query", "Mutation"}
    inputs = {n for n, t in types.items() if isinstance(t, GraphQLInputObjectType)}
    assert objects == set(spec.objects) | ADDITIVE_OBJECTS
    assert inputs == set(spec.inputs)


def test_object_types_match_spec(schema: GraphQLSchema, spec: SpecContract) -> None:
    problems = []
    for name, fields in spec.objects.items():
        t = schema.get_type(name)
        if not isinstance(t, GraphQLObjectType):
            problems.append(f"{name} is not an object type ({t!r})")
            continue
        actual = {fn: str(f.type) for fn, f in t.fields.items()}
        problems += [f"{name}: {p}" for p in _diff(fields, actual)]
        problems += [f"{name}.{fn} has arguments" for fn, f in t.fields.items() if f.args]
    assert problems == []


def test_input_types_match_spec(schema: GraphQLSchema, spec: SpecContract) -> None:
    problems = []
    for name, fields in spec.inputs.items():
        t = schema.get_type(name)
        if not isinstance(t, GraphQLInputObjectType):
            problems.append(f"{name} is not an input type ({t!r})")
            continue
        actual = {fn: str(f.type) for fn, f in t.fields.items()}
        problems += [f"{name}: {p}" for p in _diff(fields, actual)]
    assert problems == []


# --------------------------------------------------------------------------- §7 quirks
# Hard-coded so they guard the contract even without the SPEC file.


def _field_type(schema: GraphQLSchema, type_name: str, field: str) -> str:
    t = schema.get_type(type_name)
    assert isinstance(t, GraphQLObjectType | GraphQLInputObjectType), type_name
    assert field in t.fields, f"{type_name}.{field} missing"
    return str(t.fields[field].type)


@pytest.mark.parametrize(
    ("type_name", "field", "printed"),
    [
        ("OrderTicket", "origionalPrice", "Int"),  # §7.1
        ("OrderTicketInput", "origionalPrice", "Int"),
        ("OrderTicketInput", "price", "Int!"),  # §7.17
        ("OrderUpgradeInput", "price", "Int!"),
        ("TicketType", "values", "String"),  # §7.2
        ("EventUpgrade", "values", "String"),
        ("OrderTicket", "values", "String"),
        ("PaymentCalculationType", "discountAmount", "Int"),  # §7.3
        ("Fee", "amount", "Float"),  # §7.4
        ("FeeInput", "amount", "Int"),
        ("OrderProcessing", "amount", "Float"),
        ("Venue", "tax", "String"),  # §7.5
        ("VenueInput", "tax", "String"),
        ("Order", "tax", "Float"),  # §7.6
        ("EventPromotion", "discountValue", "Float"),  # §7.7
        ("TicketExchange", "percent", "Int!"),
        ("TicketExchange", "allowed", "String!"),
        ("Event", "totalDays", "String"),
        ("Event", "guestTicketPerMember", "String"),
        ("StripePaymentMethod", "expMonth", "String"),  # §7.8
        ("StripePaymentMethod", "expYear", "String"),
        ("Card", "expMonth", "Int"),
        ("Card", "expYear", "Int"),
        ("ordersChargeUpdate", "message", "String"),  # §7.9
        ("stripePublishKey", "publicStripeKey", "String"),
        ("OrderTicket", "scan", "[Scan]"),  # §7.10
        ("OrderUpgrade", "scan", "Scan"),
        ("StripeTerminalReader", "id", "String"),  # §7.11
        ("OrderQueryInput", "orgId", "[String]"),  # §7.12
        ("EventQueryInput", "orderBy", "Int"),  # §7.13
        ("User", "email", "String!"),  # §7.16
        ("User", "firstName", "String!"),
        ("User", "lastName", "String!"),
        ("User", "phoneNumber", "String!"),
        ("Order", "venueIds", "[String!]!"),
        ("Order", "artistIds", "[String!]!"),
        ("Order", "feeIds", "[String]!"),
        ("Order", "upgrades", "[OrderUpgrade]!"),
        ("TicketType", "performanceIds", "[String]!"),
        ("TicketType", "tiers", "[TicketTier]!"),
        ("TicketType", "description", "String!"),
        ("EventUpgrade", "ticketTypeIds", "[String]!"),
        ("EventUpgrade", "imageUrl", "String!"),
        ("EventUpgrade", "description", "String!"),
        ("Authentication", "token", "String!"),  # §7.19
        ("Role", "token", "String"),
        ("Event", "exchange", "TicketExchange"),  # §7.20
        ("OrderCustomField", "value", "String"),  # §7.22
        ("TicketHold", "ticketType", "String"),  # §7.23
        ("TicketHold", "ticketTypeId", "String!"),
    ],
)
def test_section7_quirks(schema: GraphQLSchema, type_name: str, field: str, printed: str) -> None:
    assert _field_type(schema, type_name, field) == printed


def test_payment_calculation_fields_are_strings(schema: GraphQLSchema) -> None:
    t = schema.get_type("PaymentCalculationType")
    assert isinstance(t, GraphQLObjectType)
    for name, f in t.fields.items():
        assert str(f.type) == ("Int" if name == "discountAmount" else "String"), name


def test_fields_that_must_not_exist(schema: GraphQLSchema) -> None:
    """§7.25: no `forgotPassword`, no `Event.metrics`; §7.9 lower-case type names are kept."""
    assert schema.mutation_type is not None
    assert "forgotPassword" not in schema.mutation_type.fields
    assert "forgotUserPassword" in schema.mutation_type.fields
    event = schema.get_type("Event")
    assert isinstance(event, GraphQLObjectType)
    assert "metrics" not in event.fields
    assert "id" not in event.fields
    assert schema.get_type("OrdersChargeUpdate") is None
    assert schema.get_type("StripePublishKey") is None
    assert schema.get_type("ordersChargeUpdate") is not None
    assert schema.get_type("stripePublishKey") is not None


def test_the_spec_extract_keeps_the_contract_sections_verbatim_and_parses_like_the_spec(tmp_path):
    spec_text = (
        "# SPEC\n## 4. GraphQL API contract\n### 4.1 Legend\nignored\n"
        "### 4.2 Query root (1 fields)\n\n| `event(id: ID!) -> Event` | Public | A | |\n"
        "### 4.3 Mutation root (1 fields)\n\n| `scan(code: String!) -> Scan!` | Staff | B | once |\n"
        "### 4.4 Auth\nnothing\n### 4.5 Object types\n- **Event** — id: ID!; name, title: String\n"
        "### 4.6 Input types\n- **OrderInput** — eventId: String!\n"
        "### 4.7 Computed fields\nnot part of it\n"
    )
    full, extract_file = tmp_path / "SPEC.md", tmp_path / "spec_contract.md"
    full.write_text(spec_text)
    extract_file.write_text(spec_tables.extract(spec_text))
    assert "Legend" not in extract_file.read_text() and "Computed fields" not in extract_file.read_text()
    assert "| `scan(code: String!) -> Scan!` | Staff | B | once |" in extract_file.read_text()
    parsed = spec_tables.parse_spec(extract_file)
    assert parsed == spec_tables.parse_spec(full)
    assert parsed.objects == {"Event": {"id": "ID!", "name": "String", "title": "String"}}
    assert parsed.mutation["scan"].args == {"code": "String!"}
