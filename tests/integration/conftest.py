"""Integration tests run against the real emulators: started once per test session (or reused
when `make run` already runs them), with every emulator's data wiped before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator import stack


@pytest.fixture(scope="session")
def local_stack() -> Iterator[None]:
    started = stack.start(quiet=True)
    try:
        yield
    finally:
        stack.stop(started, quiet=True)


@pytest.fixture(autouse=True)
def clean_emulators(local_stack: None) -> None:
    stack.reset_data()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
