"""uploadFiles end to end (SPEC 2.1, R-UP-1): a real GraphQL multipart POST to the graphql
function through the functions router, stored in the storage emulator's uploads bucket, and
fetched back from the URL the API answered."""

from __future__ import annotations

import http.client
import json
import struct
import zlib
from typing import Any
from urllib.parse import urlsplit

import requests

from emulator import config
from shared.graphql_api.multipart import body_limit
from shared.settings import get_settings
from tests.integration.api import GRAPHQL_URL, gql, make_org, new_user, staff_of, user_id_of

UPLOAD = "mutation($files: [Upload!]!) { uploadFiles(files: $files) { filename mimetype encoding url } }"


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, decodable PNG (grey pixels), built by hand so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def post_files(
    files: list[tuple[str, bytes, str]], token: str | None = None, org_id: str | None = None
) -> dict[str, Any]:
    """The GraphQL multipart request a browser (apollo-upload-client) sends."""
    operations = {"query": UPLOAD, "variables": {"files": [None] * len(files)}}
    files_map = {str(i): [f"variables.files.{i}"] for i in range(len(files))}
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if org_id:
        headers["X-Org-Id"] = org_id
    response = requests.post(
        GRAPHQL_URL,
        data={"operations": json.dumps(operations), "map": json.dumps(files_map)},
        files={str(i): (name, data, mimetype) for i, (name, data, mimetype) in enumerate(files)},
        headers=headers,
        timeout=60,
    )
    body: dict[str, Any] = response.json()
    return body


def stored_objects() -> list[str]:
    response = requests.get(f"{config.STORAGE_URL}/storage/v1/b/{config.UPLOADS_BUCKET}/o", timeout=10)
    response.raise_for_status()
    return [item["name"] for item in response.json().get("items", [])]


def error_of(result: dict[str, Any]) -> dict[str, Any]:
    assert result.get("errors"), f"expected an error, got {result}"
    error: dict[str, Any] = result["errors"][0]
    return error


def test_staff_upload_a_png_that_is_then_downloadable_from_its_url_with_the_right_type():
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    image = png_bytes()

    result = post_files([("poster.png", image, "image/png")], admin.token, org.id)

    assert "errors" not in result, result
    [file] = result["data"]["uploadFiles"]
    user_id = user_id_of(admin)
    assert (file["filename"], file["mimetype"], file["encoding"]) == ("poster.png", "image/png", "7bit")
    prefix = f"{config.STORAGE_URL}/{config.UPLOADS_BUCKET}/{org.id}/{user_id}/"
    assert file["url"].startswith(prefix) and file["url"].endswith(".png")
    download = requests.get(file["url"], timeout=10)  # no credentials: the bucket is public
    assert download.status_code == 200
    assert download.content == image
    assert download.headers["Content-Type"] == "image/png"


def test_several_images_in_one_request_get_distinct_names_and_their_sniffed_types():
    buyer = new_user()
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"  # noqa: E501

    # The client calls the GIF a PNG: it is stored and served as what its bytes are.
    result = post_files([("a.png", png_bytes(), "image/png"), ("b.png", gif, "image/png")], buyer.token)

    assert "errors" not in result, result
    files = result["data"]["uploadFiles"]
    assert [f["mimetype"] for f in files] == ["image/png", "image/gif"]
    assert files[0]["url"] != files[1]["url"]
    # No role in any org: the `user` prefix.
    assert all(f"/{config.UPLOADS_BUCKET}/user/{user_id_of(buyer)}/" in f["url"] for f in files)
    download = requests.get(files[1]["url"], timeout=10)
    assert (download.content, download.headers["Content-Type"]) == (gif, "image/gif")


def test_an_svg_is_refused_and_nothing_is_stored():
    user = new_user()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'

    error = error_of(post_files([("logo.svg", svg, "image/svg+xml")], user.token))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["invalidArgs"] == ["files"]
    assert "logo.svg" in error["extensions"]["detail"]
    assert stored_objects() == []


def test_a_text_file_renamed_png_is_refused_even_next_to_a_real_image():
    user = new_user()
    files = [("ok.png", png_bytes(), "image/png"), ("notes.png", b"meeting notes\n", "image/png")]

    error = error_of(post_files(files, user.token))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "notes.png" in error["extensions"]["detail"]
    assert stored_objects() == []  # all or nothing: the good image was not stored either


def test_a_file_over_the_configured_size_is_refused():
    user = new_user()
    limit = get_settings().upload_max_bytes
    too_big = png_bytes() + b"\x00" * (limit + 1 - len(png_bytes()))

    error = error_of(post_files([("huge.png", too_big, "image/png")], user.token))

    assert error["extensions"]["errorCode"] == "LIMIT_EXCEEDED"
    assert "huge.png" in error["message"]
    assert stored_objects() == []


def test_more_files_than_configured_are_refused():
    user = new_user()
    count = get_settings().upload_max_files + 1

    error = error_of(post_files([(f"{i}.png", png_bytes(), "image/png") for i in range(count)], user.token))

    assert error["extensions"]["errorCode"] == "LIMIT_EXCEEDED"
    assert stored_objects() == []


def test_a_body_announced_over_the_request_limit_is_answered_413_without_being_sent():
    user = new_user()
    url = urlsplit(GRAPHQL_URL)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:
        # Headers only: the function must answer from the Content-Length alone.
        connection.putrequest("POST", url.path)
        connection.putheader("Content-Type", "multipart/form-data; boundary=xyz")
        connection.putheader("Content-Length", str(body_limit(get_settings()) + 1))
        connection.putheader("Authorization", f"Bearer {user.token}")
        connection.endheaders()
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 413
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_anonymous_callers_are_refused():
    error = error_of(post_files([("poster.png", png_bytes(), "image/png")]))

    assert error["message"] == "Authentication Required."
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert stored_objects() == []


def test_a_json_request_cannot_pass_text_where_a_file_belongs():
    user = new_user()

    error = error_of(gql(UPLOAD, {"files": ["iVBORw0KGgo="]}, token=user.token))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert stored_objects() == []


def test_ordinary_json_operations_still_work_next_to_multipart():
    user = new_user()
    assert user_id_of(user)
