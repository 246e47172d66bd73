"""`uploadFiles` (SPEC 5.22 R-UP-1, AUTH): a thin edge over UploadService. The files arrive as
werkzeug FileStorage objects that shared.graphql_api.multipart put in place of the variables."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable, upload_scalar
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import mutation


@mutation.field("uploadFiles")
def resolve_upload_files(_: None, info: GraphQLResolveInfo, files: list[Any]) -> list[dict[str, str]]:
    c = ctx(info)
    return c.services.uploads.upload_files(c.principal, files)


# ariadne's Upload scalar refuses an Upload written as a literal in the query or returned as
# output; a variable value passes through, and UploadService refuses anything but a file part.
BINDABLES: list[SchemaBindable] = [upload_scalar]
