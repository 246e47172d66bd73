"""uploadFiles without I/O (SPEC R-UP-1): the bytes decide the type, names carry org and user,
limits come from configuration, and a refused request stores nothing."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage, Headers

from shared.domain.models import Role, User
from shared.domain.permissions import Principal
from shared.errors import DomainError, ErrorCode
from shared.services.uploads import (
    GIF,
    JPEG,
    PNG,
    WEBP,
    UploadService,
    display_filename,
    object_name,
    sniff_image,
)

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
SVG_BYTES = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def upload(data: bytes, filename: str = "poster.png", mimetype: str = "image/png") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=mimetype)


def principal(org_header: str | None = None, roles: list[tuple[str, str]] | None = None) -> Principal:
    user = User(createdAt=0)
    held = [
        Role(
            orgId=org, userId=user.id, userEmail="a@b.c", role=role, createdAt=0, createdBy="x", acceptedAt=1
        )  # type: ignore[arg-type]
        for org, role in roles or []
    ]
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: held, org_header=org_header)


class FakeStorage:
    def __init__(self, fail_on: int | None = None) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.deleted: list[str] = []
        self.fail_on = fail_on
        self.puts = 0

    def put_public(self, name: str, data: bytes, content_type: str) -> None:
        self.puts += 1
        if self.fail_on is not None and self.puts == self.fail_on:
            raise RuntimeError("storage down")
        assert name not in self.objects
        self.objects[name] = (data, content_type)

    def delete(self, name: str) -> None:
        self.deleted.append(name)
        self.objects.pop(name, None)

    def public_url(self, name: str) -> str:
        return f"https://storage.example/uploads/{name}"


def service(storage: FakeStorage, max_files: int = 3, max_bytes: int = 1000) -> UploadService:
    return UploadService(lambda: storage, max_files=max_files, max_bytes=max_bytes)


def code_of(error: pytest.ExceptionInfo[DomainError]) -> ErrorCode:
    return error.value.code


# --- sniffing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PNG_BYTES, PNG),
        (JPEG_BYTES, JPEG),
        (b"GIF87a" + b"\x00" * 10, GIF),
        (b"GIF89a" + b"\x00" * 10, GIF),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", WEBP),
    ],
)
def test_the_signature_of_each_allowed_image_type_is_recognised(head: bytes, expected: object) -> None:
    assert sniff_image(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        SVG_BYTES,
        b'<?xml version="1.0"?><svg/>',
        b"<html><script>alert(1)</script></html>",
        b"just some text, renamed .png",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # a RIFF file that is not WebP
        b"\x89PNG",  # a truncated signature
        b"",
    ],
)
def test_anything_else_is_not_an_image(head: bytes) -> None:
    assert sniff_image(head) is None


# --- naming ------------------------------------------------------------------------------------


def test_names_are_org_then_user_then_a_random_part_with_the_sniffed_extension() -> None:
    assert object_name("org1", "user1", PNG, "abc") == "org1/user1/abc.png"
    assert object_name(None, "user1", JPEG, "abc") == "user/user1/abc.jpg"
    first, second = object_name("org1", "user1", GIF), object_name("org1", "user1", GIF)
    assert first != second and first.startswith("org1/user1/") and first.endswith(".gif")


def test_an_org_id_that_is_not_a_plain_id_never_becomes_a_path() -> None:
    assert object_name("../other", "user1", PNG, "abc") == "user/user1/abc.png"
    assert object_name("a/b", "user1", PNG, "abc") == "user/user1/abc.png"


def test_the_returned_filename_drops_directories_the_client_sent() -> None:
    assert display_filename("C:\\fakepath\\poster.png") == "poster.png"
    assert display_filename("../../etc/passwd") == "passwd"
    assert display_filename("") == "upload"
    assert display_filename(None) == "upload"


# --- the service -------------------------------------------------------------------------------


def test_an_image_is_stored_as_its_sniffed_type_under_the_callers_org_and_user() -> None:
    storage = FakeStorage()
    caller = principal(org_header="org1", roles=[("org1", "ADMIN")])
    # The client claims a PNG; the bytes are a JPEG: the bytes win.
    [result] = service(storage).upload_files(caller, [upload(JPEG_BYTES, "C:\\fakepath\\logo.png")])
    [(name, (data, content_type))] = storage.objects.items()
    assert name.startswith(f"org1/{caller.user_id}/") and name.endswith(".jpg")
    assert (data, content_type) == (JPEG_BYTES, "image/jpeg")
    assert result == {
        "filename": "logo.png",
        "mimetype": "image/jpeg",
        "encoding": "7bit",
        "url": f"https://storage.example/uploads/{name}",
    }


def test_the_part_transfer_encoding_is_reported_when_the_client_sent_one() -> None:
    part = FileStorage(
        stream=io.BytesIO(PNG_BYTES),
        filename="a.png",
        headers=Headers({"Content-Type": "image/png", "Content-Transfer-Encoding": "binary"}),
    )
    [result] = service(FakeStorage()).upload_files(principal(), [part])
    assert result["encoding"] == "binary"


def test_an_org_the_caller_has_no_role_in_is_not_used_as_prefix() -> None:
    storage = FakeStorage()
    caller = principal(org_header="someone-elses-org", roles=[("org1", "ADMIN")])
    service(storage).upload_files(caller, [upload(PNG_BYTES)])
    [name] = storage.objects
    assert name.startswith(f"user/{caller.user_id}/")


def test_anonymous_callers_are_refused() -> None:
    storage = FakeStorage()
    with pytest.raises(DomainError) as error:
        service(storage).upload_files(None, [upload(PNG_BYTES)])
    assert code_of(error) == ErrorCode.UNAUTHENTICATED
    assert storage.objects == {}


@pytest.mark.parametrize(
    ("data", "filename", "mimetype"),
    [
        (SVG_BYTES, "logo.svg", "image/svg+xml"),
        (b"not an image at all", "poster.png", "image/png"),  # a text file renamed .png
        (b"", "empty.png", "image/png"),
    ],
)
def test_one_file_that_is_not_an_image_refuses_the_whole_request_with_nothing_stored(
    data: bytes, filename: str, mimetype: str
) -> None:
    storage = FakeStorage()
    with pytest.raises(DomainError) as error:
        service(storage).upload_files(principal(), [upload(PNG_BYTES), upload(data, filename, mimetype)])
    assert code_of(error) == ErrorCode.INVALID_INPUT
    assert error.value.fields == ["files"]
    assert filename in error.value.message
    assert storage.puts == 0


def test_values_that_are_not_file_parts_are_refused() -> None:
    with pytest.raises(DomainError) as error:
        service(FakeStorage()).upload_files(principal(), ["iVBORw0KGgo="])
    assert code_of(error) == ErrorCode.INVALID_INPUT


def test_no_files_is_refused() -> None:
    with pytest.raises(DomainError) as error:
        service(FakeStorage()).upload_files(principal(), [])
    assert code_of(error) == ErrorCode.INVALID_INPUT


def test_a_file_of_exactly_the_limit_passes_and_one_byte_more_is_refused() -> None:
    limit = len(PNG_BYTES) + 10
    exact = PNG_BYTES + b"\x00" * 10
    storage = FakeStorage()
    service(storage, max_bytes=limit).upload_files(principal(), [upload(exact)])
    assert storage.puts == 1

    storage = FakeStorage()
    with pytest.raises(DomainError) as error:
        service(storage, max_bytes=limit).upload_files(principal(), [upload(exact + b"\x00")])
    assert code_of(error) == ErrorCode.LIMIT_EXCEEDED
    assert "poster.png" in error.value.message
    assert storage.puts == 0


def test_more_files_than_configured_are_refused() -> None:
    storage = FakeStorage()
    with pytest.raises(DomainError) as error:
        service(storage, max_files=2).upload_files(principal(), [upload(PNG_BYTES) for _ in range(3)])
    assert code_of(error) == ErrorCode.LIMIT_EXCEEDED
    assert storage.puts == 0


def test_a_storage_failure_halfway_removes_what_was_already_stored() -> None:
    storage = FakeStorage(fail_on=2)
    with pytest.raises(DomainError) as error:
        service(storage).upload_files(principal(), [upload(PNG_BYTES), upload(JPEG_BYTES)])
    assert code_of(error) == ErrorCode.UPSTREAM_FAILED
    assert storage.objects == {}
    assert len(storage.deleted) == 1


def test_the_same_part_mapped_twice_is_read_from_its_start_both_times() -> None:
    part = upload(PNG_BYTES)
    storage = FakeStorage()
    service(storage).upload_files(principal(), [part, part])
    assert [data for data, _ in storage.objects.values()] == [PNG_BYTES, PNG_BYTES]
