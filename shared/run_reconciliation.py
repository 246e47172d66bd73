"""Reconcile one UTC day with Stripe by hand, every account in this process:

    make reconcile DATE=2026-12-06        # against the local stack (its environment is loaded)
    python -m shared.run_reconciliation --date 2026-12-06   # with the settings of the environment

Without --date it reconciles yesterday (UTC), as the daily Cloud Scheduler run does. Mismatches
are stored and logged exactly as by the scheduled run (a rerun adds nothing); each found is
printed as one JSON line, and the exit status is 1 when any was found.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from shared.bootstrap import services
from shared.domain.reconciliation import previous_day
from shared.observability import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--date", default="", help="UTC day YYYY-MM-DD (default: yesterday)")
    args = parser.parse_args(argv)
    app = services()
    configure_logging(app.settings.log_level, app.settings.gcp_project)
    day = args.date or previous_day(time.time())
    results = app.reconciliation.reconcile_day(day)
    for result in results:
        for mismatch in result.found:
            print(json.dumps(mismatch.doc(), sort_keys=True))
    return 1 if any(result.found for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
