"""Fees: platform, organization, event and season scopes (SPEC 3.8, R-FEE-1, R-FEE-2).

Fees are copied down when an organization or event is created: platform → org, org → event.
Each copy's id is derived from the source fee and the target, so running a copy-down twice (a
retried request, a redelivered task) writes the same documents instead of duplicates.

Administration (R-FEE-2): ADMINs manage the fees of their context org and of that org's events;
super users manage platform fees and any org's or event's fees. Every change is validated
against the enums (shared.domain.fee_rules) and stamped with who changed it and when; a change
never moves a fee to another scope and never touches existing orders (they keep a snapshot).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from shared.domain.fee_rules import (
    OrgFeeChanges,
    build_fee,
    content_of,
    plan_platform_copies,
)
from shared.domain.models import Event, Fee, Organization, Season
from shared.domain.permissions import (
    ADMIN,
    SUPER_USER,
    Principal,
    permission_denied,
    require_context_org,
    require_level,
    require_user,
)
from shared.domain.ports import Repository
from shared.errors import invalid, not_found


class FeeStore(Protocol):
    @property
    def fees(self) -> Repository[Fee]: ...

    @property
    def events(self) -> Repository[Event]: ...

    @property
    def organizations(self) -> Repository[Organization]: ...

    @property
    def seasons(self) -> Repository[Season]: ...


class FeeWriter(Protocol):
    def write(self, groups: Sequence[OrgFeeChanges]) -> None:
        """Apply every group's saves and deletes, each group in as few round trips as possible."""
        ...


class RepositoryFeeWriter:
    """One write per document; used when no batching writer is wired in."""

    def __init__(self, fees: Repository[Fee]) -> None:
        self.fees = fees

    def write(self, groups: Sequence[OrgFeeChanges]) -> None:
        for group in groups:
            for fee in group.saves:
                self.fees.save(fee)
            for fee_id in group.deletes:
                self.fees.delete(fee_id)


def copy_id(source_fee_id: str, target: str) -> str:
    return "c" + hashlib.sha256(f"{source_fee_id}>{target}".encode()).hexdigest()[:19]


def _listed(fees: Iterable[Fee]) -> list[Fee]:
    return sorted(fees, key=lambda f: (f.createdAt, f.name, f.id))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _redacted(fee: Fee) -> Fee:
    """The public view of a fee: everything pricing needs, not who on staff changed it."""
    return fee.model_copy(update={"createdBy": "", "updatedBy": ""})


class FeeService:
    def __init__(
        self,
        store: FeeStore,
        clock: Callable[[], float] = time.time,
        writer: FeeWriter | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.writer: FeeWriter = writer or RepositoryFeeWriter(store.fees)

    # --- scopes and copy-downs (R-FEE-1, §5.21) -----------------------------------------------

    def platform_fees(self) -> list[Fee]:
        return [
            f for f in self.store.fees.find(("orgId", "==", None)) if f.scope == "platform" and not f.disabled
        ]

    def organization_fees(self, org_id: str) -> list[Fee]:
        return [f for f in self.store.fees.find(("orgId", "==", org_id)) if f.scope == "organization"]

    def copy_platform_fees_to_org(self, org_id: str, user_id: str) -> list[Fee]:
        """OrganizationCreated: every platform fee becomes an org fee marked isApplyPlatformFee."""
        now = int(self.clock())
        copies = [
            fee.model_copy(
                update={
                    "id": copy_id(fee.id, org_id),
                    "orgId": org_id,
                    "eventId": None,
                    "seasonId": None,
                    "isApplyPlatformFee": True,
                    "createdBy": user_id,
                    "createdAt": now,
                    "updatedBy": user_id,
                    "updatedAt": now,
                }
            )
            for fee in self.platform_fees()
        ]
        self.writer.write([OrgFeeChanges(org_id, saves=copies)])
        return copies

    def copy_org_fees_to_event(
        self, org_id: str, event_id: str, user_id: str, *, season: bool = False
    ) -> list[Fee]:
        """EventCreated / SeasonCreated: the org's enabled fees become the event's own fees."""
        now = int(self.clock())
        scope = {"eventId": None, "seasonId": event_id} if season else {"eventId": event_id, "seasonId": None}
        copies = [
            fee.model_copy(
                update={
                    "id": copy_id(fee.id, event_id),
                    "orgId": org_id,
                    **scope,
                    "createdBy": user_id,
                    "createdAt": now,
                    "updatedBy": user_id,
                    "updatedAt": now,
                }
            )
            for fee in self.organization_fees(org_id)
            if not fee.disabled
        ]
        self.writer.write([OrgFeeChanges(org_id, saves=copies)])
        return copies

    def event_fees(self, event_id: str) -> list[Fee]:
        """Non-disabled fees scoped to the event: the only fees its prices use (R-FEE-1)."""
        return [f for f in self.store.fees.find(("eventId", "==", event_id)) if not f.disabled]

    # --- reads --------------------------------------------------------------------------------

    def _for_caller(self, principal: Principal | None, fees: Iterable[Fee]) -> list[Fee]:
        """Public reads show staff ids only to the owning org's ADMINs and super users."""
        fees = list(fees)
        if principal is None or not fees:
            return [_redacted(f) for f in fees]
        if principal.is_super_user:
            return fees
        return [f if f.orgId and principal.level_in(f.orgId) >= ADMIN else _redacted(f) for f in fees]

    def fee(self, principal: Principal | None, fee_id: str) -> Fee | None:
        """Public."""
        found = self.store.fees.get(_text(fee_id))
        return None if found is None else self._for_caller(principal, [found])[0]

    def fees_by_id(
        self, principal: Principal | None, fee_ids: Iterable[str | None] | None, org_id: str | None = None
    ) -> list[Fee]:
        """Public: the requested fees in the requested order, only those of `org_id` if given."""
        ids = list(dict.fromkeys(i for i in (_text(x) for x in fee_ids or []) if i))
        found = self.store.fees.get_many(ids)
        fees = [found[i] for i in ids if i in found]
        if _text(org_id):
            fees = [f for f in fees if f.orgId == _text(org_id)]
        return self._for_caller(principal, fees)

    def list_fees(self, principal: Principal | None, fee_ids: Iterable[str | None] | None) -> list[Fee]:
        """AUTH: fees by id for a signed-in caller."""
        return self.fees_by_id(require_user(principal), fee_ids)

    def public_event_fees(self, principal: Principal | None, event_id: str) -> list[Fee]:
        """Public: the event's non-disabled fees, as the purchase portal prices with them."""
        return self._for_caller(principal, _listed(self.event_fees(_text(event_id))))

    def fees_of_organization(self, principal: Principal | None, org_id: str) -> list[Fee]:
        """SUPER_USER: every org-scoped fee of the org, disabled ones included."""
        require_level(principal, SUPER_USER, None)
        return _listed(self.organization_fees(_text(org_id)))

    def all_platform_fees(self, principal: Principal | None) -> list[Fee]:
        """SUPER_USER: every platform fee, disabled ones included."""
        require_level(principal, SUPER_USER, None)
        return _listed(f for f in self.store.fees.find(("orgId", "==", None)) if f.scope == "platform")

    def processing_fee(self, principal: Principal | None) -> None:
        """AUTH; the original computed this from a parent order that a root field never has."""
        require_user(principal)

    # --- shared helpers -----------------------------------------------------------------------

    def _stamp(self, user_id: str, *, created: bool) -> dict[str, Any]:
        now = int(self.clock())
        stamp: dict[str, Any] = {"updatedBy": user_id, "updatedAt": now}
        if created:
            stamp |= {"createdBy": user_id, "createdAt": now}
        return stamp

    def _new(self, caller: Principal, data: Mapping[str, Any], scope: Mapping[str, Any]) -> Fee:
        fee = build_fee(
            {**content_of(data), **scope, "disabled": False, **self._stamp(caller.user_id, created=True)}
        )
        return self.store.fees.create(fee)

    def _changed(
        self, caller: Principal, stored: Fee, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> Fee:
        """`stored` with the client's content changes: scope, creation and flags stay as stored."""
        updated = build_fee(
            {
                **stored.doc(),
                **content_of(data),
                **(extra or {}),
                **self._stamp(caller.user_id, created=False),
            }
        )
        return self.store.fees.save(updated)

    def _stored(self, fee_id: Any) -> Fee:
        fee_id = _text(fee_id)
        if not fee_id:
            raise invalid("A fee id is required.", "fee._id")
        fee = self.store.fees.get(fee_id)
        if fee is None:
            raise not_found("Fee")
        return fee

    def _event(self, event_id: str) -> Event:
        event = self.store.events.get(event_id)
        if event is None:
            raise not_found("Event")
        return event

    def _season(self, season_id: str) -> Season:
        season = self.store.seasons.get(season_id)
        if season is None:
            raise not_found("Season")
        return season

    @staticmethod
    def _same_scope(data: Mapping[str, Any], stored: Fee) -> None:
        """An update names the fee's scope or none at all: it can never move the fee."""
        for key in ("eventId", "seasonId"):
            given = _text(data.get(key))
            if given and given != (getattr(stored, key) or ""):
                raise invalid("A fee cannot be moved to another event or season.", f"fee.{key}")

    # --- ADMIN of the context org (R-FEE-2) ---------------------------------------------------

    def _admin_scope(self, org_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """The scope of a new fee: the context org, or one of its events (seasons) when `eventId`
        (`seasonId`) is given."""
        event_id, season_id = _text(data.get("eventId")), _text(data.get("seasonId"))
        if event_id and season_id:
            raise invalid("A fee belongs to an event or a season, not both.", "fee.seasonId")
        if season_id:
            if self._season(season_id).orgId != org_id:
                raise permission_denied()
            return {"orgId": org_id, "eventId": None, "seasonId": season_id}
        if event_id and self._event(event_id).orgId != org_id:
            raise permission_denied()
        return {"orgId": org_id, "eventId": event_id or None, "seasonId": None}

    def _admin_fee(self, principal: Principal | None, fee_id: Any) -> tuple[Principal, Fee]:
        """A stored fee an ADMIN of the context org may change: its org's own fee or its event's,
        never a platform fee, another org's fee, or an org's copy of a platform fee."""
        caller, org_id = require_context_org(principal, ADMIN)
        fee = self._stored(fee_id)
        owner = fee.orgId
        if fee.eventId:  # the event decides, whatever orgId the fee carries
            event = self.store.events.get(fee.eventId)
            owner = event.orgId if event is not None else owner
        elif fee.seasonId:  # likewise the season
            season = self.store.seasons.get(fee.seasonId)
            owner = season.orgId if season is not None else owner
        if fee.scope == "platform" or owner != org_id or fee.isApplyPlatformFee:
            raise permission_denied()
        return caller, fee

    def create_fee(self, principal: Principal | None, data: Mapping[str, Any]) -> Fee:
        caller, org_id = require_context_org(principal, ADMIN)
        return self._new(caller, data, self._admin_scope(org_id, data))

    def update_fee(self, principal: Principal | None, data: Mapping[str, Any]) -> Fee:
        caller, stored = self._admin_fee(principal, data.get("_id"))
        self._same_scope(data, stored)
        return self._changed(caller, stored, data)

    def disable_fee(self, principal: Principal | None, fee_id: str) -> bool:
        caller, stored = self._admin_fee(principal, fee_id)
        self.store.fees.update(stored.id, {"disabled": True, **self._stamp(caller.user_id, created=False)})
        return True

    # --- SUPER_USER: any organization's fees --------------------------------------------------

    def _super(self, principal: Principal | None) -> Principal:
        return require_level(principal, SUPER_USER, None)

    @staticmethod
    def _platform_flag(data: Mapping[str, Any]) -> dict[str, Any]:
        flag = data.get("isApplyPlatformFee")
        return {} if flag is None else {"isApplyPlatformFee": bool(flag)}

    def _org_fee(self, org_id: str, fee_id: Any) -> Fee:
        fee = self._stored(fee_id)
        if fee.scope != "organization" or fee.orgId != _text(org_id):
            raise not_found("Fee")
        return fee

    def create_organization_fee(
        self, principal: Principal | None, org_id: str, data: Mapping[str, Any]
    ) -> Fee:
        caller = self._super(principal)
        org_id = _text(org_id)
        if self.store.organizations.get(org_id) is None:
            raise not_found("Organization")
        for key in ("eventId", "seasonId"):
            if _text(data.get(key)):
                raise invalid("An organization fee has no event or season.", f"fee.{key}")
        scope = {"orgId": org_id, "eventId": None, "seasonId": None, **self._platform_flag(data)}
        return self._new(caller, data, scope)

    def update_organization_fee(
        self, principal: Principal | None, org_id: str, data: Mapping[str, Any]
    ) -> Fee:
        caller = self._super(principal)
        stored = self._org_fee(org_id, data.get("_id"))
        self._same_scope(data, stored)
        return self._changed(caller, stored, data, self._platform_flag(data))

    def delete_organization_fee(self, principal: Principal | None, org_id: str, fee_id: str) -> bool:
        self._super(principal)
        self.store.fees.delete(self._org_fee(org_id, fee_id).id)
        return True

    # --- SUPER_USER: event and season fees ----------------------------------------------------

    @staticmethod
    def _target(arg: str | None, data: Mapping[str, Any], key: str) -> str:
        given, in_fee = _text(arg), _text(data.get(key))
        if given and in_fee and given != in_fee:
            raise invalid(f"Conflicting {key} values.", f"fee.{key}")
        return given or in_fee

    def create_event_or_season_fee(
        self,
        principal: Principal | None,
        org_id: str | None,
        event_id: str | None,
        season_id: str | None,
        data: Mapping[str, Any],
    ) -> Fee:
        caller = self._super(principal)
        event_id = self._target(event_id, data, "eventId")
        season_id = self._target(season_id, data, "seasonId")
        org_id = _text(org_id)
        if bool(event_id) == bool(season_id):
            raise invalid("Give either an event or a season.", "eventId", "seasonId")
        if event_id:
            event = self._event(event_id)
            if org_id and org_id != event.orgId:
                raise invalid("The event is not in that organization.", "orgId")
            org_id = event.orgId
        else:
            season = self._season(season_id)
            if org_id and org_id != season.orgId:
                raise invalid("The season is not in that organization.", "orgId")
            org_id = season.orgId
        scope = {"orgId": org_id, "eventId": event_id or None, "seasonId": season_id or None}
        return self._new(caller, data, scope)

    def _event_or_season_fee(
        self, org_id: str | None, event_id: str | None, season_id: str | None, fee_id: Any
    ) -> Fee:
        fee = self._stored(fee_id)
        expected = {"orgId": _text(org_id), "eventId": _text(event_id), "seasonId": _text(season_id)}
        if fee.scope not in ("event", "season") or any(
            value and value != (getattr(fee, key) or "") for key, value in expected.items()
        ):
            raise not_found("Fee")
        return fee

    def update_event_or_season_fee(
        self,
        principal: Principal | None,
        org_id: str | None,
        event_id: str | None,
        season_id: str | None,
        data: Mapping[str, Any],
    ) -> Fee:
        caller = self._super(principal)
        stored = self._event_or_season_fee(org_id, event_id, season_id, data.get("_id"))
        self._same_scope(data, stored)
        return self._changed(caller, stored, data)

    def delete_event_or_season_fee(
        self,
        principal: Principal | None,
        org_id: str | None,
        event_id: str | None,
        season_id: str | None,
        fee_id: str,
    ) -> bool:
        self._super(principal)
        self.store.fees.delete(self._event_or_season_fee(org_id, event_id, season_id, fee_id).id)
        return True

    # --- SUPER_USER: platform fees ------------------------------------------------------------

    def _platform_fee(self, fee_id: Any) -> Fee:
        fee = self._stored(fee_id)
        if fee.scope != "platform":
            raise not_found("Fee")
        return fee

    def create_platform_fee(self, principal: Principal | None, data: Mapping[str, Any]) -> Fee:
        caller = self._super(principal)
        for key in ("eventId", "seasonId"):
            if _text(data.get(key)):
                raise invalid("A platform fee has no event or season.", f"fee.{key}")
        content = {"appliedBy": "Sellout", **content_of(data)}  # the platform's fee unless told
        scope = {"orgId": None, "eventId": None, "seasonId": None, "isApplyPlatformFee": False}
        return self._new(caller, content, scope)

    def update_platform_fee(self, principal: Principal | None, data: Mapping[str, Any]) -> Fee:
        caller = self._super(principal)
        stored = self._platform_fee(data.get("_id"))
        self._same_scope(data, stored)
        return self._changed(caller, stored, data)

    def delete_platform_fee(self, principal: Principal | None, fee_id: str) -> bool:
        self._super(principal)
        self.store.fees.delete(self._platform_fee(fee_id).id)
        return True

    def apply_platform_fees_to_all_organizations(self, principal: Principal | None) -> bool:
        """R-FEE-2 / D-14: in every org, replace the platform copies (isApplyPlatformFee) by
        fresh copies of the current platform fees; the org's own fees stay. Idempotent."""
        caller = self._super(principal)
        plans = plan_platform_copies(
            self.platform_fees(),
            (org.id for org in self.store.organizations.find()),
            self.store.fees.find(("isApplyPlatformFee", "==", True)),
            copy_id=copy_id,
            user_id=caller.user_id,
            now=int(self.clock()),
        )
        self.writer.write(plans)
        return True
