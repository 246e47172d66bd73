"""Reading the body of a GraphQL POST: one JSON operation, or a GraphQL multipart request
(https://github.com/jaydenseric/graphql-multipart-request-spec; SPEC 2.1, used by `uploadFiles`):
form fields `operations` (the JSON operation), `map` (file field -> variable paths) and the files.

The body limit of a multipart request is the largest legitimate upload, `upload_max_files`
files of `upload_max_bytes` plus room for the form fields; any other body (JSON) is at most
MAX_JSON_BODY_BYTES, far above the clients' largest operation. A Content-Length above the limit
is refused (413) before any byte is read; a body without one (chunked) is read up to the same
limit and refused if it reaches it.

Multipart bodies are "simple" requests that browsers send cross-site without a CORS preflight,
which is harmless here: the caller is the `Authorization: Bearer` token, which a cross-site form
cannot attach, so such a request is anonymous and `uploadFiles` refuses it.
"""

from __future__ import annotations

import json
from typing import Any

import flask
from ariadne import combine_multipart_data
from ariadne.exceptions import HttpBadRequestError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from shared.entrypoint import json_response
from shared.settings import Settings

# `operations` and `map` plus the multipart boundaries and part headers of every file.
FORM_OVERHEAD_BYTES = 1024 * 1024
MAX_JSON_BODY_BYTES = 1024 * 1024


class BodyRefusedError(Exception):
    """The body cannot be a GraphQL operation; `response` says why."""

    def __init__(self, response: flask.Response) -> None:
        super().__init__(response.status)
        self.response = response


def body_limit(settings: Settings, request: flask.Request | None = None) -> int:
    if request is not None and request.mimetype != "multipart/form-data":
        return MAX_JSON_BODY_BYTES
    return settings.upload_max_files * settings.upload_max_bytes + FORM_OVERHEAD_BYTES


def _refuse(message: str, status: int, code: str) -> BodyRefusedError:
    return BodyRefusedError(
        json_response({"errors": [{"message": message, "extensions": {"code": code}}]}, status)
    )


def too_large(limit: int) -> BodyRefusedError:
    message = f"The request is too large (at most {max(1, limit // (1024 * 1024))} MB)."
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]})
    # A streamed response, because functions_framework otherwise reads the whole request body
    # after the handler returns (its `read_request` hook), which is what this refusal avoids
    # (and which would fail past the limit set on the request).
    return BodyRefusedError(flask.Response(iter([body]), status=413, mimetype="application/json"))


def read_operation(request: flask.Request, settings: Settings) -> Any:
    """The operation the body carries (files in place of their variables), or BodyRefusedError."""
    limit = body_limit(settings, request)
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    request.max_content_length = limit  # werkzeug stops reading a chunked body at the limit
    try:
        operation = (
            _multipart_operation(request)
            if request.mimetype == "multipart/form-data"
            else request.get_json(silent=True)
        )
    except RequestEntityTooLarge:
        raise too_large(limit) from None
    # A chunked body is cut off at the limit without an error (werkzeug returns what it read):
    # one that reached the limit is refused rather than executed truncated.
    stream = request.stream
    if request.content_length is None and isinstance(stream, LimitedStream) and stream.is_exhausted:
        raise too_large(limit)
    return operation


def _multipart_operation(request: flask.Request) -> Any:
    try:
        operations = json.loads(request.form.get("operations") or "null")
        files_map = json.loads(request.form.get("map") or "{}")
    except ValueError:
        raise _refuse("The 'operations' and 'map' fields must be JSON.", 400, "BAD_REQUEST") from None
    if not isinstance(operations, dict):
        # One operation per request, as for JSON bodies (batches would multiply the work).
        raise _refuse("Send one GraphQL operation in the 'operations' field.", 400, "BAD_REQUEST")
    try:
        return combine_multipart_data(operations, files_map, request.files)
    except HttpBadRequestError as error:
        raise _refuse(str(error.message), 400, "BAD_REQUEST") from None
