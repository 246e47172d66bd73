"""`make bench`: prints numbers, asserts nothing (tests assert behaviour, benchmarks measure)."""

from __future__ import annotations

import os

from emulator.config import local_environment
from tests.bench import flash_sale, import_time, reconciliation


def main() -> None:
    # The benchmark drives the local stack with the same environment the tests and functions get.
    for key, value in local_environment().items():
        os.environ.setdefault(key, value)
    import_time.run()
    flash_sale.run()
    reconciliation.run()


if __name__ == "__main__":
    main()
