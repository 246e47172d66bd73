"""Abuse limits (SECURITY 23-24): depth and cost are checked before anything executes."""

from graphql import parse, validate

from shared.domain.validation import MAX_PAGE_SIZE
from shared.graphql_api.limits import ROOT_FIELD_COST, validation_rules
from shared.graphql_api.schema import executable_schema


def _errors(query: str, max_depth: int = 12, max_cost: int = 5000) -> list[str]:
    rules = validation_rules(max_depth, max_cost, None)
    return [e.message for e in validate(executable_schema(), parse(query), rules)]


def test_an_ordinary_portal_query_passes():
    assert (
        _errors('{ event(eventId: "e") { name venue { name } ticketTypes { name tiers { price } } } }') == []
    )


def test_a_query_nested_past_the_depth_limit_is_refused_even_through_fragments():
    deep = '{ event(eventId: "e") { organization { address { city } } } }'  # depth 4
    assert _errors(deep, max_depth=4) == []
    assert any("too deep" in e for e in _errors(deep, max_depth=3))
    via_fragment = 'query { event(eventId: "e") { ...E } } fragment E on Event { venue { address { city } } }'
    assert any("too deep" in e for e in _errors(via_fragment, max_depth=3))


def _cost(query: str, variables: dict | None = None) -> int:
    rules = validation_rules(12, 0, variables)
    (message,) = [
        e.message for e in validate(executable_schema(), parse(query), rules) if "costs" in e.message
    ]
    return int(message.split("(")[1].split(";")[0])


def test_each_root_field_is_charged_as_a_lookup_so_aliases_cannot_multiply_reads_for_free():
    one = 'a0: event(eventId: "e") { name }'
    assert _cost("{ " + one + " }") == ROOT_FIELD_COST + 2
    # The attack: 2,400 anonymous aliases of the same lookup (cost 4,800 when every field cost 1).
    many = "{ " + " ".join(one.replace("a0", f"a{i}") for i in range(2400)) + " }"
    assert any("costs too much" in e for e in _errors(many))
    # Identical root fields are each charged: the limit admits about 45 lookups, not 2,400.
    fits = "{ " + " ".join(one.replace("a0", f"a{i}") for i in range(45)) + " }"
    assert _errors(fits) == []


def test_a_list_root_field_costs_its_page():
    assert _cost("{ venues(pagination: {pageSize: 10}) { name } }") == ROOT_FIELD_COST + 2 + 10
    variables = {"p": {"pageSize": 25}}
    assert (
        _cost("query($p: PaginationInput) { venues(pagination: $p) { name } }", variables)
        == ROOT_FIELD_COST + 2 + 25
    )
    assert _cost("{ venues { name } }") == ROOT_FIELD_COST + 2 + MAX_PAGE_SIZE


def test_fields_inside_fragments_are_charged_and_nested_fragments_are_measured_once():
    query = '{ event(eventId: "e") { ...A } } fragment A on Event { name venue { name } }'
    assert _cost(query) == ROOT_FIELD_COST + 1 + 3
    # 40 levels of fragments each spreading the next twice: 2^40 paths, measured in linear time.
    levels = 40
    fragments = " ".join(
        f"fragment F{i} on Venue {{ a: address {{ city }} ...F{i + 1} b: name ...F{i + 1} }}"
        for i in range(levels)
    )
    query = f'{{ venue(venueId: "v") {{ ...F0 }} }} {fragments} fragment F{levels} on Venue {{ name }}'
    assert any("costs too much" in e for e in _errors(query))


def test_every_client_operation_is_far_below_the_cost_limit():
    from pathlib import Path

    from graphql import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode

    for path in Path("tests/graphql_contract/client_operations").glob("*.graphql"):
        document = parse(path.read_text())
        fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
        for operation in document.definitions:
            if isinstance(operation, OperationDefinitionNode):
                one = DocumentNode(definitions=(operation, *fragments))
                assert _errors_of(one, max_cost=1000) == [], (path.name, operation.name)


def _errors_of(document, max_cost: int) -> list[str]:
    return [e.message for e in validate(executable_schema(), document, validation_rules(12, max_cost, None))]
