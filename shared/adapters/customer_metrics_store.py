"""Customer metrics writes (SPEC R-USR-7; rules in shared.domain.customer_metrics): increments
on the buyer's profile, added to the caller's batch so they commit with the order write they
count — exactly once, and without reading the profile first."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.transforms import ArrayUnion, Increment, Minimum

from shared.domain.customer_metrics import MetricsChange


class FirestoreCustomerMetrics:
    def __init__(self, client: firestore.Client) -> None:
        self.profiles = client.collection("userProfiles")

    def add(self, batch: firestore.WriteBatch, change: MetricsChange | None) -> None:
        if change is None:
            return
        counters = {name: Increment(n) for name, n in change.counters.items()}
        entry: dict[str, Any] = {
            "orgId": change.org_id,
            "createdAt": Minimum(change.at),
            "lifeTime": counters,
            "years": {str(change.year): counters},
        }
        # userId/_id make a profile written here (a buyer without one yet) still a valid profile.
        fields: dict[str, Any] = {"_id": change.user_id, "userId": change.user_id}
        if change.event_ids:
            entry["eventIds"] = ArrayUnion(list(change.event_ids))
        if change.profile_lists:
            lists = {"orgIds": (change.org_id,), "eventIds": change.event_ids,
                     "venueIds": change.venue_ids, "artistIds": change.artist_ids}  # fmt: skip
            fields |= {key: ArrayUnion(list(ids)) for key, ids in lists.items() if ids}
        fields["metricsByOrg"] = {change.org_id: entry}
        batch.set(self.profiles.document(change.user_id), fields, merge=True)
