"""Firestore record of each org's Webflow configuration and published items (SPEC 3.10):

    webFlows/{orgId}    one per org: sites, entities (with their Webflow item ids per site)

Pushes for several sites and entities of one org run at once (one Cloud Task each), and each
records item ids in the same document, so every change is a read-modify-write in a transaction:
none overwrites another's entry.
"""

from __future__ import annotations

from collections.abc import Callable

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.models import WebFlow
from shared.errors import not_found


class FirestoreWebFlowStore:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client
        self.collection = client.collection("webFlows")

    def get(self, org_id: str) -> WebFlow | None:
        if not org_id or "/" in org_id:
            return None
        snapshot = self.collection.document(org_id).get()
        record_reads(1)
        return WebFlow.model_validate(snapshot.to_dict()) if snapshot.exists else None

    def get_many(self, org_ids: list[str]) -> dict[str, WebFlow]:
        """The records of these orgs that exist, in one round trip (nested GraphQL fields)."""
        wanted = list(dict.fromkeys(i for i in org_ids if i and "/" not in i))
        if not wanted:
            return {}
        found: dict[str, WebFlow] = {}
        for snapshot in self.client.get_all([self.collection.document(i) for i in wanted]):
            if snapshot.exists:
                found[snapshot.id] = WebFlow.model_validate(snapshot.to_dict())
        record_reads(max(1, len(found)))
        return found

    def create_if_absent(self, record: WebFlow) -> WebFlow:
        """The org's record: `record` stored now, or the one already there (one per org)."""
        try:
            self.collection.document(record.orgId).create(record.doc())
        except google_exceptions.AlreadyExists:
            return self.get(record.orgId) or record
        record_writes(1)
        return record

    def mutate(self, org_id: str, change: Callable[[WebFlow], WebFlow]) -> WebFlow:
        ref = self.collection.document(org_id)

        @firestore.transactional
        def attempt(transaction: firestore.Transaction) -> WebFlow:
            snapshot = ref.get(transaction=transaction)
            if not snapshot.exists:
                raise not_found("Webflow configuration")
            changed = change(WebFlow.model_validate(snapshot.to_dict()))
            transaction.set(ref, changed.doc())
            return changed

        result: WebFlow = attempt(self.client.transaction())
        record_reads(1)
        record_writes(1)
        return result

    def using_site(self, site_webflow_id: str) -> list[WebFlow]:
        query = self.collection.where(filter=FieldFilter("siteWebFlowIds", "array_contains", site_webflow_id))
        snapshots = list(query.stream())
        record_reads(max(1, len(snapshots)))
        return [WebFlow.model_validate(s.to_dict()) for s in snapshots]

    def all(self) -> list[WebFlow]:
        snapshots = list(self.collection.stream())
        record_reads(max(1, len(snapshots)))
        return [WebFlow.model_validate(s.to_dict()) for s in snapshots]
