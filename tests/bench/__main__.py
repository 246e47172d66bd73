"""`make bench`: prints numbers, asserts nothing (tests assert behaviour, benchmarks measure)."""

from __future__ import annotations

from tests.bench import flash_sale, import_time


def main() -> None:
    import_time.run()
    flash_sale.run()


if __name__ == "__main__":
    main()
