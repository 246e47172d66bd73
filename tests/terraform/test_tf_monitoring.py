"""The error alert pages the on-call for ERROR log entries only: refusals (SOLD_OUT, bad input,
no sign-in, rate limits) are logged at INFO or WARNING (shared/errors.py LOG_LEVEL) precisely so
that a sell-out or a prober never pages anyone, which holds only while the alert ignores them."""

from __future__ import annotations

import re

from tests.terraform.tf_layout import blocks


def test_every_alerted_log_metric_counts_error_entries_only():
    metrics = blocks("resource", "google_logging_metric")
    policies = blocks("resource", "google_monitoring_alert_policy")
    alerted = {
        name
        for policy in policies.values()
        for condition in policy["conditions"]
        for name in re.findall(
            r"google_logging_metric\.(\w+)\.name", condition["condition_threshold"][0]["filter"]
        )
    }
    assert alerted, "no alert policy watches a log metric"
    for name in alerted:
        severities = re.findall(r"severity\s*(>=|=|>)\s*\"?(\w+)", metrics[name]["filter"])
        assert severities == [(">=", "ERROR")], (name, metrics[name]["filter"])
