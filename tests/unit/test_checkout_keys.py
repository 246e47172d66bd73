"""The client's idempotency key of a checkout: ids are derived from it joined with a control
character, so a key that carries one could be spelled to derive another checkout kind's ids."""

from __future__ import annotations

import pytest

from shared.errors import DomainError, ErrorCode
from shared.services.checkout import _client_key, _kind_part, derived_id


def test_the_header_key_wins_over_the_inputs_id() -> None:
    assert _client_key({"_id": "from-input"}, "from-header") == "from-header"
    assert _client_key({"_id": "from-input"}, "") == "from-input"
    assert _client_key({}, "") == ""


@pytest.mark.parametrize("key", ["season\x1fX", "a\nb", "tab\tkey", "del\x7f", "x" * 201])
def test_keys_with_control_characters_or_too_long_are_refused(key: str) -> None:
    with pytest.raises(DomainError) as refused:
        _client_key({"_id": key}, "")
    assert (refused.value.code, refused.value.fields) == (ErrorCode.INVALID_INPUT, ["_id"])


def test_the_refused_spelling_is_the_one_that_collides() -> None:
    # Why the rule exists: this event key would derive the season checkout's reservation id.
    event_id = derived_id("r", "user", *_kind_part("event"), "season\x1fX")
    assert event_id == derived_id("r", "user", *_kind_part("season"), "X")
