"""Delayed work (SPEC R-TASK-1): a `tasks/{id}` document is the truth, mirrored by a Cloud Task
that wakes a function at `executeAt`. Ticket deliveries, day-of reminders, Webflow re-syncs and
notify-me e-mails all follow these rules, so they live here once:

- `plan` creates the document once: task ids are deterministic, so a document that already
  exists is the same work planned again and is not enqueued twice — unless it is still pending
  and was never enqueued (the planner died in between), in which case it is enqueued now.
- `enqueue` creates the Cloud Task at most 30 days ahead (the Cloud Tasks limit; a handler
  re-enqueues work that is not due yet), named after the task and its run time, and records the
  Cloud Task's name on the document.
- `begin` is a handler's first step: the task to run, or why it is skipped. Cancelling is setting
  `canceledAt` on the document (the emulator cannot delete Cloud Tasks, and a deleted one may be
  running already), so a handler must always start here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.domain.delivery_schedule import cloud_task_time
from shared.domain.tasks import Task


class TaskRecords(Protocol):
    def create_task(self, task: Task) -> bool: ...
    def task(self, task_id: str) -> Task | None: ...
    def update_task(self, task_id: str, fields: dict[str, Any]) -> None: ...


class TaskQueue(Protocol):
    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str: ...  # fmt: skip


@dataclass(frozen=True)
class TaskRoute:
    """Where a kind of task is delivered: queue, function and path, the prefix of its Cloud Task
    names, and what its payload carries besides the task id."""

    queue: str
    function: str
    name: str
    path: str = "/"
    payload: Mapping[str, Any] = field(default_factory=dict)


class ScheduledTasks:
    def __init__(self, records: TaskRecords, queue: TaskQueue, route: TaskRoute) -> None:
        self.records, self.queue, self.route = records, queue, route

    def plan(self, task: Task, now: int) -> Task:
        """Store `task` and enqueue it if pending; returns the stored task (an earlier plan of the
        same work wins)."""
        if self.records.create_task(task):
            if task.pending:
                self.enqueue(task, now)
            return task
        existing = self.records.task(task.id)
        if existing is None:
            return task
        if existing.pending and not existing.cloudTaskName:
            self.enqueue(existing, now)
        return existing

    def enqueue(self, task: Task, now: int) -> None:
        run_at = cloud_task_time(task.executeAt, now)
        name = self.queue.enqueue(
            self.route.queue, self.route.function, {**self.route.payload, "taskId": task.id},
            path=self.route.path, key=f"{self.route.name}~{task.id}~{run_at}", run_at=run_at,
        )  # fmt: skip
        self.records.update_task(task.id, {"cloudTaskName": name})

    def begin(self, task_id: str) -> Task | str:
        """The task to run now, or why not: "no such task", "cancelled", "already done"."""
        task = self.records.task(task_id)
        if task is None:
            return "no such task"
        if task.canceledAt is not None:
            return "cancelled"
        if task.endedAt is not None:
            return "already done"
        return task

    def cancel_pending(self, tasks: Iterable[Task], now: int) -> int:
        """Mark the pending ones of `tasks` cancelled; returns how many. The document is the
        truth: the emulator cannot delete Cloud Tasks (and a deleted one may already be running),
        so handlers skip a cancelled task when it arrives (`begin`)."""
        cancelled = 0
        for task in tasks:
            if task.pending:
                self.records.update_task(task.id, {"canceledAt": now})
                cancelled += 1
        return cancelled

    def end(self, task_id: str, now: int, *, success: bool, outcome: str) -> None:
        self.records.update_task(task_id, {"endedAt": now, "success": success, "outcome": outcome})
