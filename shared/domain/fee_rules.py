"""Pure fee rules (SPEC 3.8, R-FEE-1, R-FEE-2): which input keys a client may set, validation
with the input paths the clients show, and the plan that re-applies platform fees to every
organization without touching the organizations' own fees (D-14).

Nothing here reads or writes storage; the fee service feeds these functions what it loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from shared.domain.models import SALES_TAX_FEE_NAME, Fee
from shared.errors import DomainError, ErrorCode

# What a client may set on a fee. Scope (orgId/eventId/seasonId) comes from the operation, the
# audit fields and `disabled` from the server, `amount` exists only in order snapshots (ignored
# here), and `isApplyPlatformFee` marks copies made by the platform (only super users set it).
CONTENT_FIELDS = (
    "name",
    "type",
    "value",
    "appliedTo",
    "appliedBy",
    "minAppliedToPrice",
    "maxAppliedToPrice",
    "filters",
    "paymentMethods",
)
SCOPE_FIELDS = ("orgId", "eventId", "seasonId")

# The fields an org copy of a platform fee takes from its source; two copies with equal values
# here are the same copy (the platform-fee re-apply skips them).
_COPIED_FIELDS = (*CONTENT_FIELDS, "disabled")


def content_of(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The client-settable keys of a FeeInput; GraphQL nulls count as absent."""
    return {k: v for k, v in (data or {}).items() if k in CONTENT_FIELDS and v is not None}


def _input_path(loc: tuple[int | str, ...], prefix: str) -> str:
    """`("filters", 1)` → `fee.filters`: the client names the input key, not the list slot."""
    parts = [str(p) for p in loc if isinstance(p, str) and not any(c in p for c in "[(-")]
    key = parts[0] if parts else ""
    return f"{prefix}.{key}" if key else prefix


def rule_problems(fee: Fee) -> list[str]:
    """Fields that break a rule the enums cannot express, in a stable order."""
    problems: list[str] = []
    if fee.type == "Percent" and fee.value > 100:
        problems.append("value")
    elif fee.type == "Percent" and fee.appliedBy == "Stripe" and fee.value >= 100:
        problems.append("value")  # the Stripe gross-up divides by (1 - p/100) (R-FEE-6 step 9)
    if fee.name.strip() == SALES_TAX_FEE_NAME and fee.type != "Percent":
        problems.append("type")  # its value is read as a percent (R-FEE-6 step 6)
    if fee.minAppliedToPrice is not None and fee.minAppliedToPrice < 0:
        problems.append("minAppliedToPrice")
    if fee.maxAppliedToPrice is not None and fee.maxAppliedToPrice < 0:
        problems.append("maxAppliedToPrice")
    elif fee.maxAppliedToPrice and (fee.minAppliedToPrice or 0) > fee.maxAppliedToPrice:
        problems.append("maxAppliedToPrice")  # null/0 max means unbounded (R-FEE-5)
    return problems


def build_fee(data: Mapping[str, Any], prefix: str = "fee") -> Fee:
    """A valid Fee from `data`, or INVALID_INPUT naming every offending `fee.<field>`."""
    try:
        fee = Fee.model_validate(dict(data))
    except ValidationError as error:
        paths = list(dict.fromkeys(_input_path(p["loc"], prefix) for p in error.errors()))
        first = error.errors()[0]
        raise DomainError(ErrorCode.INVALID_INPUT, f"{paths[0]}: {first['msg']}", paths) from None
    problems = rule_problems(fee)
    if problems:
        paths = [f"{prefix}.{p}" for p in dict.fromkeys(problems)]
        raise DomainError(ErrorCode.INVALID_INPUT, f"{paths[0]} is not allowed for this fee.", paths)
    # Lists are sets of labels: keep the first of each, in the client's order.
    return fee.model_copy(
        update={
            "filters": list(dict.fromkeys(fee.filters)),
            "paymentMethods": list(dict.fromkeys(fee.paymentMethods)),
            "name": fee.name.strip(),
        }
    )


def same_copy(a: Fee, b: Fee) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in _COPIED_FIELDS)


# --- the platform-fee re-apply (R-FEE-2, D-14) ----------------------------------------------------


@dataclass
class OrgFeeChanges:
    """What one organization's fees need; applied together so an org never shows both its old
    and new platform copies, nor neither."""

    org_id: str
    saves: list[Fee] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.saves and not self.deletes


def is_platform_copy(fee: Fee) -> bool:
    """An org fee that was copied from a platform fee (event copies of it are the event's own)."""
    return fee.scope == "organization" and fee.isApplyPlatformFee


def plan_platform_copies(
    platform_fees: Iterable[Fee],
    org_ids: Iterable[str],
    existing_copies: Iterable[Fee],
    *,
    copy_id: Callable[[str, str], str],
    user_id: str,
    now: int,
) -> list[OrgFeeChanges]:
    """Per org: save a fresh copy of every current platform fee (id `copy_id(platform_id, org_id)`,
    so a re-run targets the same documents), delete the platform copies that no longer match a
    platform fee, and leave every other org fee alone. Copies already equal to their source are
    not rewritten, so a second run with nothing changed plans nothing."""
    sources = [f for f in platform_fees if f.scope == "platform" and not f.disabled]
    by_org: dict[str, dict[str, Fee]] = {}
    for fee in existing_copies:
        if is_platform_copy(fee) and fee.orgId:
            by_org.setdefault(fee.orgId, {})[fee.id] = fee
    plans: list[OrgFeeChanges] = []
    for org_id in dict.fromkeys(org_ids):
        current = by_org.get(org_id, {})
        changes = OrgFeeChanges(org_id)
        wanted: set[str] = set()
        for source in sources:
            copy = source.model_copy(
                update={
                    "id": copy_id(source.id, org_id),
                    "orgId": org_id,
                    "eventId": None,
                    "seasonId": None,
                    "isApplyPlatformFee": True,
                    "disabled": False,
                    "amount": None,
                    "createdBy": user_id,
                    "createdAt": now,
                    "updatedBy": user_id,
                    "updatedAt": now,
                }
            )
            wanted.add(copy.id)
            old = current.get(copy.id)
            if old is not None and same_copy(old, copy):
                continue
            if old is not None:  # same copy, new terms: keep its creation record
                copy = copy.model_copy(update={"createdBy": old.createdBy, "createdAt": old.createdAt})
            changes.saves.append(copy)
        changes.deletes = sorted(i for i in current if i not in wanted)
        if not changes.empty:
            plans.append(changes)
    return plans
