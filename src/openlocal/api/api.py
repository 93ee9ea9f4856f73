"""The one NinjaAPI: every JSON API operation, served under ``/api/v1/``."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from openlocal.api import problems
from openlocal.api.keys import SECURITY_SCHEMES
from openlocal.api.routers import catalogue, following, geojson, requests

DESCRIPTION = """\
Every public request, its timeline and what it is about, as JSON. Reads need no key and are
open to any origin (CORS). Writes need an API key with the right scope and are rate-limited.
Errors are RFC 9457 problem details (`application/problem+json`). Lists are paginated with
cursors: follow `next` (also in the `Link` header). Reads carry an `ETag`; send it back in
`If-None-Match` to get `304 Not Modified` when nothing changed.
"""


class OpenLocalAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The generated document, with the media types the API really answers with."""
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content")
                    if not content or "application/json" not in content:
                        continue
                    if int(status) >= 400:
                        answer["content"] = {problems.MEDIA_TYPE: content["application/json"]}
                    elif path.endswith(".geojson"):
                        answer["content"] = {geojson.MEDIA_TYPE: content["application/json"]}
        return schema


api = OpenLocalAPI(
    title="OpenLocal API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,
)
problems.install(api)
api.add_router("", requests.router)
api.add_router("", geojson.router)
api.add_router("", catalogue.router)
api.add_router("", following.router)
