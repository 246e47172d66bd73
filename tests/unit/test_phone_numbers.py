import pytest

from shared.domain.phone_numbers import e164
from shared.errors import DomainError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+15555550123", "+15555550123"),
        ("+1 (555) 555-0123", "+15555550123"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_valid_numbers_are_normalised(raw: str, expected: str) -> None:
    assert e164(raw) == expected


@pytest.mark.parametrize(
    "raw", ["555-0123", "15555550123", "+0123456789", "+1555", "+1234567890123456", "", "+1555abc0123"]
)
def test_invalid_numbers_are_refused_with_a_clear_message(raw: str) -> None:
    with pytest.raises(DomainError) as caught:
        e164(raw)
    assert "E.164" in caught.value.message and caught.value.fields == ["phoneNumber"]
