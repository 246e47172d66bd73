"""Batching loaders: sibling resolvers that need the same kind of document ask for it, and one
round trip fetches all of them (the GraphQL N+1 problem). Execution is async so graphql-core
runs siblings together; the batch is dispatched once every sibling has asked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class DataLoader(Generic[K, V]):
    def __init__(self, batch: Callable[[list[K]], Mapping[K, V]]) -> None:
        self._batch = batch
        self._results: dict[K, asyncio.Future[V | None]] = {}
        self._pending: list[K] = []

    def load(self, key: K) -> asyncio.Future[V | None]:
        if key in self._results:
            return self._results[key]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V | None] = loop.create_future()
        self._results[key] = future
        self._pending.append(key)
        if len(self._pending) == 1:
            loop.call_soon(self._dispatch)
        return future

    async def load_many(self, keys: Iterable[K]) -> list[V]:
        found = await asyncio.gather(*(self.load(k) for k in keys))
        return [v for v in found if v is not None]

    def prime(self, key: K, value: V) -> None:
        """Seed the cache with a document the caller already holds."""
        if key not in self._results:
            future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
            future.set_result(value)
            self._results[key] = future

    def _dispatch(self) -> None:
        keys, self._pending = self._pending, []
        try:
            found = self._batch(keys)
        except Exception as error:  # every waiter sees the failure
            for key in keys:
                self._results.pop(key).set_exception(error)
            return
        for key in keys:
            self._results[key].set_result(found.get(key))
