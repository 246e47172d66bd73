"""Every test process runs with the local environment (the emulators' addresses and the local
throwaway secrets), the same one the functions get from `emulator.stack`."""

from __future__ import annotations

import os

from emulator.config import local_environment


def pytest_configure(config: object) -> None:
    for key, value in local_environment().items():
        os.environ.setdefault(key, value)
