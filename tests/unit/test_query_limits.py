"""Abuse limits (SECURITY 23-24): depth and cost are checked before anything executes."""

from graphql import parse, validate

from shared.graphql_api.limits import validation_rules
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


def test_aliases_count_toward_the_cost_limit():
    one = 'a0: event(eventId: "e") { name }'
    many = "{ " + " ".join(one.replace("a0", f"a{i}") for i in range(60)) + " }"
    assert _errors("{ " + one + " }", max_cost=100) == []
    assert any("cost" in e.lower() for e in _errors(many, max_cost=100))
