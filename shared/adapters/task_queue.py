"""Cloud Tasks: every delayed or background job is an HTTP task aimed at one of our functions.

Tasks carry ids, never objects. A task given a `key` gets a deterministic, hashed name, so
enqueueing the same work twice is harmless where Cloud Tasks de-duplicates (about an hour in
production; the emulator never does) — handlers still guard themselves in Firestore.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from google.api_core import exceptions as google_exceptions
from google.cloud import tasks_v2
from google.protobuf import timestamp_pb2

from shared.settings import Settings

log = logging.getLogger("sellout.tasks")


def _client(settings: Settings) -> tasks_v2.CloudTasksClient:
    if settings.cloud_tasks_emulator_host:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(settings.cloud_tasks_emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


def function_url(settings: Settings, function: str, path: str = "/") -> str:
    return f"{settings.functions_base_url.rstrip('/')}/{settings.function_name_prefix}{function}{path}"


class CloudTaskQueue:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tasks: tasks_v2.CloudTasksClient | None = None

    @property
    def client(self) -> tasks_v2.CloudTasksClient:
        if self._tasks is None:  # created on first use: most requests enqueue nothing
            self._tasks = _client(self.settings)
        return self._tasks

    def queue_path(self, queue: str) -> str:
        return self.client.queue_path(
            self.settings.gcp_project, self.settings.gcp_region, f"{self.settings.task_queue_prefix}{queue}"
        )

    def enqueue(
        self,
        queue: str,
        function: str,
        payload: dict[str, Any],
        *,
        path: str = "/",
        key: str | None = None,
        run_at: int | None = None,
    ) -> str:
        """Enqueue a POST of `payload` (JSON) to `function`; returns the task name."""
        url = function_url(self.settings, function, path)
        return self.enqueue_url(queue, url, payload, key=key, run_at=run_at)

    def enqueue_url(
        self,
        queue: str,
        url: str,
        payload: dict[str, Any],
        *,
        key: str | None = None,
        run_at: int | None = None,
    ) -> str:
        parent = self.queue_path(queue)
        http_request = tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=url,
            headers={"Content-Type": "application/json"},
            body=json.dumps(payload).encode(),
        )
        if self.settings.tasks_invoker_email:
            http_request.oidc_token = tasks_v2.OidcToken(
                service_account_email=self.settings.tasks_invoker_email,
                audience=url.split("?", maxsplit=1)[0],
            )
        task = tasks_v2.Task(http_request=http_request)
        if key:
            task.name = f"{parent}/tasks/{hashlib.sha256(key.encode()).hexdigest()[:40]}"
        if run_at is not None:
            task.schedule_time = _timestamp(run_at)
        try:
            created = self.client.create_task(parent=parent, task=task)
        except google_exceptions.AlreadyExists:
            log.info("task already enqueued", extra={"queue": queue, "task": task.name})
            return str(task.name)
        return str(created.name)


def _timestamp(unix_seconds: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.fromtimestamp(unix_seconds, tz=UTC))
    return stamp
