"""Cloud Tasks queues exist with bounded retries and the '<prefix>-<queue>' names the code uses."""

from __future__ import annotations

from tf_layout import TERRAFORM_DIR, blocks, root_locals

from emulator.config import TASK_QUEUES

EXPECTED_QUEUES = set(TASK_QUEUES)  # the queues the local stack creates are the ones deployed


def seconds(duration: str) -> int:
    assert duration.endswith("s"), duration
    return int(duration[:-1])


def test_every_queue_is_declared() -> None:
    assert set(root_locals()["queues"]) == EXPECTED_QUEUES


def test_every_queue_bounds_its_retries() -> None:
    for name, queue in root_locals()["queues"].items():
        retry = queue["retry_config"]
        assert 1 <= retry["max_attempts"] <= 100, name
        assert seconds(retry["max_retry_duration"]) > 0, name
        assert seconds(retry["min_backoff"]) <= seconds(retry["max_backoff"]), name
        rate = queue["rate_limits"]
        assert rate["max_dispatches_per_second"] > 0 and rate["max_concurrent_dispatches"] > 0, name


def test_queues_are_named_with_the_task_queue_prefix() -> None:
    module = blocks("module", "")["queue"]
    assert module["name"] == "${var.prefix}-${each.key}"
    assert module["retry_config"] == "${each.value.retry_config}"


def test_queue_module_passes_max_attempts_to_the_resource() -> None:
    queue = blocks("resource", "google_cloud_tasks_queue", TERRAFORM_DIR / "modules" / "task-queue")["queue"]
    (retry,) = queue["retry_config"]
    assert retry["max_attempts"] == "${var.retry_config.max_attempts}"
    assert retry["max_retry_duration"] == "${var.retry_config.max_retry_duration}"


def test_functions_enqueue_only_into_declared_queues() -> None:
    for name, entry in root_locals()["functions"].items():
        assert set(entry.get("enqueues", [])) <= EXPECTED_QUEUES, name
