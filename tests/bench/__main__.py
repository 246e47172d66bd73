"""`make bench`: prints numbers, asserts nothing (tests assert behaviour, benchmarks measure).

`python -m tests.bench --scenario cash --capacity N --buyers M --concurrency C --json` runs one
flash-sale scenario (cash, big, tail or card) and prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import os

from emulator.config import local_environment
from tests.bench import flash_sale, import_time


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--scenario", choices=sorted(flash_sale.DEFAULTS))
    parser.add_argument("--capacity", type=int)
    parser.add_argument("--buyers", type=int)
    parser.add_argument("--concurrency", type=int)
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    args = parser.parse_args()
    # The benchmark drives the local stack with the same environment the tests and functions get.
    for key, value in local_environment().items():
        os.environ.setdefault(key, value)
    if args.scenario is None:
        import_time.run()
        flash_sale.run()
        return
    flash_sale.run(args.scenario, args.capacity, args.buyers, args.concurrency, as_json=args.json)


if __name__ == "__main__":
    main()
