"""Turns pydantic's validation errors into the one domain error the clients understand:
"Invalid Fields" with the offending input keys (SPEC 2.7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import DomainError, ErrorCode

M = TypeVar("M", bound=BaseModel)


def _path(loc: tuple[int | str, ...]) -> str:
    # Unions and validators add parts such as "literal['Flat','Percent']"; keep the input keys.
    return ".".join(str(part) for part in loc if not any(c in str(part) for c in "[(-"))


def field_paths(error: ValidationError, prefix: str = "") -> list[str]:
    paths: list[str] = []
    for problem in error.errors():
        path = _path(problem["loc"])
        path = f"{prefix}.{path}" if prefix and path else prefix or path
        if path not in paths:
            paths.append(path)
    return paths


def describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = _path(first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def build(model: type[M], data: Mapping[str, Any], prefix: str = "") -> M:
    """Validate `data` into `model`, or raise INVALID_INPUT naming every bad field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise DomainError(ErrorCode.INVALID_INPUT, describe(error), field_paths(error, prefix)) from None


def without_nones(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """GraphQL sends explicit nulls for omitted optional fields; treat them as absent."""
    return {k: v for k, v in (data or {}).items() if v is not None}
