"""Maps errors to the Apollo Server 2 shape the React clients read (SPEC 2.7), in one place.

`errors[0].message` is shown to users verbatim, so only DomainError messages (written for users)
ever reach it; anything unexpected becomes "Internal error." and is logged with its stack.

ariadne logs every error of a result through the logger it is given, always at ERROR with a
traceback; `GraphQLErrorLog` is that logger, and gives each error the severity of what it is (a
refusal at its code's level, shared.errors.LOG_LEVEL, without a traceback; a crash at ERROR
with one), so the error-rate alert counts only what someone must act on.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from shared.errors import DomainError, ErrorCode

log = logging.getLogger("sellout.graphql")

INVALID_FIELDS = "Invalid Fields"


def log_graphql_error(error: BaseException, logger: logging.Logger = log) -> None:
    """One log line per error of a GraphQL result, at the severity its kind deserves."""
    if not isinstance(error, GraphQLError):
        logger.error("graphql request failed", exc_info=error)
        return
    original = error.original_error
    where = {"path": error.path} if error.path else {}
    if original is None:  # the query itself is wrong (syntax, unknown field, depth or cost)
        logger.info(
            "query refused", extra={"code": "GRAPHQL_VALIDATION_FAILED", "detail": error.message, **where}
        )
    elif isinstance(original, GraphQLError):  # variables that do not fit their declared types
        logger.info(
            "query refused", extra={"code": str(ErrorCode.INVALID_INPUT), "detail": error.message, **where}
        )
    elif isinstance(original, DomainError):
        logger.log(
            original.log_level,
            "request refused",
            # An INTERNAL DomainError is a fault someone must find: keep its stack for them.
            exc_info=original if original.log_level >= logging.ERROR else None,
            extra={"code": str(original.code), **where},
        )
    else:
        logger.error("resolver failed", exc_info=original, extra=where)


class GraphQLErrorLog(logging.LoggerAdapter[logging.Logger]):
    """The `logger` ariadne is given. ariadne calls `logger.error(error, exc_info=error)` for each
    error of a result; this answers with log_graphql_error instead."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.getLogger(name), {})

    def error(  # type: ignore[override]  # ariadne passes the error itself as exc_info
        self, msg: object, *args: object, exc_info: BaseException | None = None, **kwargs: object
    ) -> None:
        log_graphql_error(exc_info if exc_info is not None else Exception(str(msg)), self.logger)


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
    else:  # logged by GraphQLErrorLog (ariadne logs each error of a result before formatting it)
        formatted["message"] = "Internal error."
        formatted["extensions"] = {"code": 500, "errorCode": str(ErrorCode.INTERNAL)}
    return formatted
