"""The REST API under /api/v1/: one NinjaAPI, its routers, its problems, its schema.

Endpoints only translate HTTP: they read the request, call the services (or
the shared list queries), and answer with the schemas. The schema is part of
the stable interface: it is committed as ``openapi.json`` beside this module
and a test fails when the code and the committed file disagree
(``belegsync openapi --write`` renews it).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Router, Schema, Status

from belegsync.sync import health as health_check

from . import connections, documents, exports, imports, problems, reports, webhooks
from .auth import TokenAuth, TokenThrottle

VERSION = "1.0.0"


class BelegsyncAPI(NinjaAPI):
    """NinjaAPI with stable operation ids and problems documented as problem+json."""

    def get_openapi_operation_id(self, operation: Any) -> str:
        # the endpoint's function name: stable when modules move (clients generate from it)
        return str(operation.view_func.__name__)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(*args, **kwargs)
        for item in document.get("paths", {}).values():
            for operation in item.values():
                for answer in operation.get("responses", {}).values():
                    content = answer.get("content", {})
                    schema = content.get("application/json", {}).get("schema", {})
                    if str(schema.get("$ref", "")).endswith("/ProblemOut"):
                        content[problems.MEDIA_TYPE] = content.pop("application/json")
        return document


api = BelegsyncAPI(
    title="belegsync API",
    version=VERSION,
    description=(
        "Everything the belegsync web UI does, for scripts: documents, actions, "
        "connections, imports, exports. Authenticate with a personal API token "
        "(`Authorization: Bearer bsk_…`); errors are RFC 9457 problem details. "
        "See docs/api.md."
    ),
    auth=TokenAuth(),
    throttle=TokenThrottle(),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)


class HealthOut(Schema):
    ok: bool
    database: bool
    #: False when the stored credentials do not decrypt with the configured keys; null when
    #: the database does not answer.
    secrets: bool | None
    workers: int | None


health = Router(tags=["health"])


@health.get(
    "/health",
    auth=None,
    response={200: HealthOut, 503: HealthOut, **problems.responses(422, authenticated=False)},
)
def get_health(request: HttpRequest, workers: bool = False) -> Status[dict[str, Any]]:
    """Whether the database answers, the stored credentials decrypt with the configured keys
    and (with `workers=true`) a sync worker is alive: the checks of `/healthz`."""
    found = health_check.check(workers=workers)
    body = {
        "ok": found.ok,
        "database": found.database,
        "secrets": found.secrets,
        "workers": found.workers,
    }
    return Status(200 if found.ok else 503, body)


for router in (
    documents.router,
    connections.router,
    connections.organisation,
    imports.router,
    exports.router,
    reports.router,
    webhooks.router,
    health,
):
    api.add_router("", router)


def schema() -> dict[str, Any]:
    """The OpenAPI document as served at /api/v1/openapi.json."""
    return dict(api.get_openapi_schema(path_prefix="/api/v1/"))
