"""Cloud Scheduler jobs reach a task route the code serves, as the tasks invoker, with bounded
retries: a job aimed at the wrong path or function would fail every night without a sound."""

from __future__ import annotations

from tf_layout import FUNCTIONS_DIR, blocks, root_locals

from shared.services import reconciliation


def test_the_daily_reconciliation_is_scheduled_at_the_route_the_refund_function_serves() -> None:
    job = root_locals()["scheduled_jobs"]["reconciliation"]
    assert (job["function"], job["path"]) == (reconciliation.FUNCTION, reconciliation.TASK_PATH)
    entry = (FUNCTIONS_DIR / job["function"] / "main.py").read_text(encoding="utf-8")
    assert "RECONCILE_PATH" in entry and "app.reconciliation.run_task" in entry


def test_every_job_targets_a_task_handler_daily_or_more_often_in_utc() -> None:
    functions = root_locals()["functions"]
    for name, job in root_locals()["scheduled_jobs"].items():
        assert functions[job["function"]].get("task_handler") is True, name
        assert job["path"].startswith("/tasks/"), name
        minute, hour, *_rest = job["schedule"].split()
        assert minute.isdigit() and hour.isdigit(), name
    resource = blocks("resource", "google_cloud_scheduler_job")["job"]
    assert resource["time_zone"] == "Etc/UTC"


def test_jobs_call_with_the_tasks_invoker_token_for_their_own_url_and_bounded_retries() -> None:
    resource = blocks("resource", "google_cloud_scheduler_job")["job"]
    (target,) = resource["http_target"]
    (token,) = target["oidc_token"]
    assert token["service_account_email"] == "${google_service_account.tasks_invoker.email}"
    assert token["audience"] == target["uri"] == "${local.scheduled_job_urls[each.key]}"
    url = root_locals()["scheduled_job_urls"]
    assert "FUNCTIONS_BASE_URL" in url and "FUNCTION_NAME_PREFIX" in url  # as function_url() builds it
    (retry,) = resource["retry_config"]
    assert 0 < retry["retry_count"] <= 5
    assert resource["name"] == "${var.prefix}-${each.key}"
