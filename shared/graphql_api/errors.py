"""Maps errors to the Apollo Server 2 shape the React clients read (SPEC 2.7), in one place.

`errors[0].message` is shown to users verbatim, so only DomainError messages (written for users)
ever reach it; anything unexpected becomes "Internal error." and is logged with its stack.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from shared.errors import DomainError, ErrorCode

log = logging.getLogger("sellout.graphql")

INVALID_FIELDS = "Invalid Fields"


def _extensions(error: DomainError) -> dict[str, Any]:
    if error.code == ErrorCode.INVALID_INPUT:
        return {
            "code": "BAD_USER_INPUT",
            "invalidArgs": error.fields,
            "exception": {"invalidArgs": error.fields},
            "errorCode": str(error.code),
            "detail": error.message,
        }
    if error.code in (ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN):
        # The original raised both as AuthenticationError; Backstage reacts to the code.
        return {"code": "UNAUTHENTICATED", "errorCode": str(error.code)}
    return {"code": error.http_status, "errorCode": str(error.code)}


def format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        formatted["path"] = error.path
    original = error.original_error
    if original is None:  # a syntax or validation error: the query itself is wrong
        formatted["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED"}
    elif isinstance(original, GraphQLError):
        # Variables that do not fit their declared input type: the caller's input is wrong.
        formatted["extensions"] = {"code": "BAD_USER_INPUT", "errorCode": str(ErrorCode.INVALID_INPUT)}
    elif isinstance(original, DomainError):
        formatted["message"] = (
            INVALID_FIELDS if original.code == ErrorCode.INVALID_INPUT else original.message
        )
        formatted["extensions"] = _extensions(original)
    else:
        log.error("resolver failed", exc_info=original)
        formatted["message"] = "Internal error."
        formatted["extensions"] = {"code": 500, "errorCode": str(ErrorCode.INTERNAL)}
    return formatted
