import pytest

from shared.domain.phone_numbers import e164, optional_e164
from shared.errors import DomainError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+15555550123", "+15555550123"),
        ("+1 (555) 555-0123", "+15555550123"),
        ("+44 20 7946 0958", "+442079460958"),
        # As the purchase portal sends them: digits only, country code without '+'.
        ("15555550177", "+15555550177"),
        ("442079460958", "+442079460958"),
        # National forms, read in the default region.
        ("5555550177", "+15555550177"),
        ("(555) 555-0177", "+15555550177"),
        ("555.555.0177", "+15555550177"),
        (" 555 555 0177 ", "+15555550177"),
    ],
)
def test_numbers_as_typed_are_stored_in_e164(raw: str, expected: str) -> None:
    assert e164(raw) == expected


def test_a_national_number_is_read_in_the_given_region() -> None:
    assert e164("020 7946 0958", "GB") == "+442079460958"
    assert e164("5555550177", "GB") != "+15555550177"  # not a US number when the region is GB


@pytest.mark.parametrize(
    "raw",
    ["555-0123", "+0123456789", "+1555", "+1234567890123456", "", "  ", "+1555abc0123", "call me", "12"],
)
def test_unreadable_numbers_are_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(DomainError) as caught:
        e164(raw, field="user.phoneNumber")
    assert "valid phone number" in caught.value.message and caught.value.fields == ["user.phoneNumber"]


def test_an_empty_optional_number_stays_empty() -> None:
    assert optional_e164("") == "" and optional_e164(None) == ""
    assert optional_e164("15555550177") == "+15555550177"
