"""In-memory stand-ins the service tests share: a repository read by id, and the task records and
delivery claims (R-TASK-1) with the claim outcomes of FirestoreDeliveryStore — a record being
sent is "busy", a finished one "done"."""

from __future__ import annotations

from typing import Any

from shared.domain.tasks import Delivery, Task


class Repo:
    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def get(self, item_id: str) -> Any:
        return next((i for i in self.items if i.id == item_id), None)


class InMemoryTaskRecords:
    def __init__(self) -> None:
        self.tasks: dict[str, Task] = {}
        self.claims: dict[str, Delivery] = {}

    def create_task(self, task: Task) -> bool:
        if task.id in self.tasks:
            return False
        self.tasks[task.id] = task
        return True

    def task(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    def update_task(self, task_id: str, fields: dict[str, Any]) -> None:
        self.tasks[task_id] = self.tasks[task_id].model_copy(update=fields)

    def claim(self, record_id: str, record: Delivery, *, lease: int, retry_stale: bool) -> str:
        if record_id in self.claims:
            return "done" if self.claims[record_id].status != "sending" else "busy"
        self.claims[record_id] = record
        return "claimed"

    def finish(self, record_id: str, fields: dict[str, Any]) -> None:
        self.claims[record_id] = self.claims[record_id].model_copy(update=fields)

    def release(self, record_id: str) -> None:
        del self.claims[record_id]
