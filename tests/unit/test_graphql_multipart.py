"""The GraphQL function's request body (SPEC 2.1): one JSON operation or a GraphQL multipart
request, within a size limit derived from the upload settings, refused early when larger."""

from __future__ import annotations

import io
import json
from typing import Any

import flask
import functions_framework
import pytest
from werkzeug.test import EnvironBuilder

from shared.graphql_api.multipart import (
    FORM_OVERHEAD_BYTES,
    MAX_JSON_BODY_BYTES,
    BodyRefusedError,
    body_limit,
    read_operation,
)
from shared.settings import Settings, get_settings

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def settings(max_files: int = 2, max_bytes: int = 1000) -> Settings:
    return Settings(upload_max_files=max_files, upload_max_bytes=max_bytes)  # type: ignore[call-arg]


def test_the_body_limit_admits_every_allowed_file_plus_the_form_fields() -> None:
    assert body_limit(settings(max_files=3, max_bytes=1000)) == 3000 + FORM_OVERHEAD_BYTES


def _multipart_request(operations: object, files_map: object, **files: bytes) -> dict:
    data: dict = {"operations": json.dumps(operations), "map": json.dumps(files_map)}
    for key, content in files.items():
        data[key] = (io.BytesIO(content), f"{key}.png", "image/png")
    return {"method": "POST", "data": data, "content_type": "multipart/form-data"}


def _raw_environ(body: bytes, content_type: str, content_length: int | None) -> dict:
    """A POST whose Content-Length says what we want (None = chunked, ended by the server)."""
    environ = EnvironBuilder(method="POST", content_type=content_type).get_environ()
    environ["wsgi.input"] = io.BytesIO(body)
    environ.pop("CONTENT_LENGTH", None)
    if content_length is None:
        environ["wsgi.input_terminated"] = True  # what gunicorn sets for chunked bodies
    else:
        environ["CONTENT_LENGTH"] = str(content_length)
    return environ


def test_a_multipart_request_puts_each_file_in_its_variable() -> None:
    app = flask.Flask(__name__)
    operation = {
        "query": "mutation($f: [Upload!]!) { uploadFiles(files: $f) { url } }",
        "variables": {"f": [None, None]},
    }
    files_map = {"0": ["variables.f.0"], "1": ["variables.f.1"]}
    with app.test_request_context(
        "/", **_multipart_request(operation, files_map, **{"0": PNG_BYTES, "1": JPEG_BYTES})
    ):
        combined = read_operation(flask.request, settings())
        assert [f.read() for f in combined["variables"]["f"]] == [PNG_BYTES, JPEG_BYTES]


@pytest.mark.parametrize(
    ("operations", "files_map"),
    [
        ([{"query": "{ user { _id } }"}], {}),  # a batch
        ({"query": "x", "variables": {}}, {"0": ["variables.f"]}),  # a map naming a missing file
        ({"query": "x", "variables": {}}, ["variables.f"]),  # a map that is not an object
    ],
)
def test_a_multipart_batch_or_a_broken_map_is_a_bad_request(operations: object, files_map: object) -> None:
    app = flask.Flask(__name__)
    request = _multipart_request(operations, files_map)
    with app.test_request_context("/", **request), pytest.raises(BodyRefusedError) as refused:
        read_operation(flask.request, settings())
    assert refused.value.response.status_code == 400


def test_a_body_announced_larger_than_the_limit_is_refused_before_it_is_read() -> None:
    app = flask.Flask(__name__)
    limit = body_limit(settings())
    environ = _raw_environ(b"--b--", "multipart/form-data; boundary=b", content_length=limit + 1)
    with app.request_context(environ), pytest.raises(BodyRefusedError) as refused:
        read_operation(flask.request, settings())
    assert environ["wsgi.input"].tell() == 0
    assert refused.value.response.status_code == 413
    body = json.loads(refused.value.response.get_data())
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=b"])
def test_a_chunked_body_is_read_only_up_to_the_limit_and_then_refused(content_type: str) -> None:
    app = flask.Flask(__name__)
    limit = body_limit(settings(max_files=1, max_bytes=10))
    body = b"x" * (limit + 4096)
    environ = _raw_environ(body, content_type, content_length=None)
    with app.request_context(environ), pytest.raises(BodyRefusedError) as refused:
        read_operation(flask.request, settings(max_files=1, max_bytes=10))
    assert refused.value.response.status_code == 413
    assert environ["wsgi.input"].tell() <= limit


def test_a_chunked_body_under_the_limit_reads_normally() -> None:
    app = flask.Flask(__name__)
    body = json.dumps({"query": "{ user { _id } }"}).encode()
    with app.request_context(_raw_environ(body, "application/json", content_length=None)):
        assert read_operation(flask.request, settings()) == {"query": "{ user { _id } }"}


def test_an_ordinary_json_operation_still_reads() -> None:
    app = flask.Flask(__name__)
    with app.test_request_context("/", method="POST", json={"query": "{ user { _id } }"}):
        assert read_operation(flask.request, settings()) == {"query": "{ user { _id } }"}


class _UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("the body was read")


def _graphql_function() -> Any:
    # Built exactly as Cloud Functions builds it, including functions_framework's hook that reads
    # the whole body after the handler returns.
    return functions_framework.create_app("handle", "functions/graphql/main.py")


def _call(app: Any, environ: dict) -> tuple[str, bytes]:
    statuses: list[str] = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    return statuses[0], body


def test_the_graphql_function_answers_413_from_the_content_length_without_reading_the_body() -> None:
    environ = _raw_environ(
        b"", "multipart/form-data; boundary=b", content_length=body_limit(get_settings()) + 1
    )
    environ["wsgi.input"] = _UnreadableBody()
    status, body = _call(_graphql_function(), environ)
    assert status.startswith("413")
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_the_graphql_function_answers_413_to_a_chunked_body_over_the_limit() -> None:
    environ = _raw_environ(b"x" * (body_limit(get_settings()) + 10), "application/json", content_length=None)
    status, _ = _call(_graphql_function(), environ)
    assert status.startswith("413")


def test_a_json_body_announced_over_one_megabyte_is_refused_unread_though_uploads_may_be_larger() -> None:
    app = flask.Flask(__name__)
    big_uploads = settings(max_files=5, max_bytes=5 * 1024 * 1024)
    environ = _raw_environ(b"{}", "application/json", content_length=MAX_JSON_BODY_BYTES + 1)
    environ["wsgi.input"] = _UnreadableBody()
    with app.request_context(environ), pytest.raises(BodyRefusedError) as refused:
        read_operation(flask.request, big_uploads)
    assert refused.value.response.status_code == 413


def test_a_json_body_just_under_one_megabyte_is_read() -> None:
    app = flask.Flask(__name__)
    padding = "x" * (MAX_JSON_BODY_BYTES - 100)
    body = json.dumps({"query": "{ user { _id } }", "variables": {"p": padding}}).encode()
    assert len(body) <= MAX_JSON_BODY_BYTES
    with app.request_context(_raw_environ(body, "application/json", content_length=len(body))):
        assert read_operation(flask.request, settings())["variables"]["p"] == padding


def test_a_chunked_json_body_is_cut_off_at_one_megabyte() -> None:
    app = flask.Flask(__name__)
    environ = _raw_environ(b"x" * (3 * MAX_JSON_BODY_BYTES), "application/json", content_length=None)
    with app.request_context(environ), pytest.raises(BodyRefusedError) as refused:
        read_operation(flask.request, settings(max_files=5, max_bytes=5 * 1024 * 1024))
    assert refused.value.response.status_code == 413
    assert environ["wsgi.input"].tell() <= MAX_JSON_BODY_BYTES + 64 * 1024
