"""Builds the real adapters and the services on top of them, once per function instance.

This is the only module that chooses implementations: tests and benchmarks build the same
graph from the same settings, pointed at the emulators.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

from shared.adapters.firebase_auth import FirebaseAuthenticator
from shared.adapters.firestore_store import FirestoreStore, firestore_client
from shared.domain.identity import IdentityService
from shared.services.catalog import CatalogService
from shared.services.fees import FeeService
from shared.settings import Settings, get_settings


@dataclass
class Services:
    settings: Settings

    @cached_property
    def store(self) -> FirestoreStore:
        return FirestoreStore(firestore_client(self.settings.gcp_project))

    @cached_property
    def authenticator(self) -> FirebaseAuthenticator:
        return FirebaseAuthenticator(self.settings)

    @cached_property
    def identity(self) -> IdentityService:
        return IdentityService(self.store.users, self.store.user_profiles, self.store.roles)

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService(self.store)

    @cached_property
    def fees(self) -> FeeService:
        return FeeService(self.store)


_lock = threading.Lock()
_services: Services | None = None


def services() -> Services:
    """The process-wide service graph (a function instance serves many requests)."""
    global _services  # noqa: PLW0603 - one lazily built graph per process, by design
    with _lock:
        if _services is None:
            _services = Services(get_settings())
        return _services
