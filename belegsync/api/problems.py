"""One error shape for every refusal: RFC 9457 problem details (``application/problem+json``).

``type`` is ``urn:belegsync:problem:<code>`` and ``code`` the same code alone,
so a client branches on ``code``; ``detail`` is the sentence the web UI shows,
in the language the request asks for (``Accept-Language``); a validation error
names each field in ``errors``. docs/api.md lists the codes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from belegsync.services.actor import NotAllowed, RoleForbids

log = logging.getLogger("belegsync.api")

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:belegsync:problem:"


class FieldProblem(Schema):
    #: Where the value came from: ``path``, ``query``, ``body`` or ``file``.
    where: str
    field: str
    message: str


class ProblemOut(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblem] | None = None


class ApiProblem(Exception):
    """Raised by an endpoint to answer with a problem; ``code`` is part of the interface."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str = "",
        errors: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.title = title or detail
        self.errors = errors
        self.headers = dict(headers or {})


def not_found(detail: str = "") -> ApiProblem:
    return ApiProblem(404, "not_found", detail or _("Not found."), title=_("Not found"))


def field_refused(code: str, title: str, detail: str, *, where: str, field: str) -> ApiProblem:
    """422 ``code``: one value refused by a service, the reason named at its field."""
    return ApiProblem(
        422,
        code,
        detail,
        title=title,
        errors=[{"where": where, "field": field, "message": detail}],
    )


def response(problem: ApiProblem) -> HttpResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    answer = JsonResponse(body, status=problem.status, content_type=MEDIA_TYPE)
    for name, value in problem.headers.items():
        answer[name] = value
    return answer


def _field_problems(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    found = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        where = location[0] if location else "body"
        # ninja nests a body's fields under the parameter's name ("payload"): leave it out
        names = location[2:] if where == "body" and len(location) > 2 else location[1:]
        found.append(
            {"where": where, "field": ".".join(names), "message": str(error.get("msg", ""))}
        )
    return found


def install(api: NinjaAPI) -> None:
    """Answer every exception the API raises as a problem."""

    def on_problem(request: HttpRequest, error: ApiProblem) -> HttpResponse:
        return response(error)

    def on_validation(request: HttpRequest, error: ValidationError) -> HttpResponse:
        errors = _field_problems(error.errors)
        fields = ", ".join(e["field"] or e["where"] for e in errors)
        return response(
            ApiProblem(
                422,
                "invalid",
                _("Some values are not valid: %(fields)s.") % {"fields": fields},
                title=_("Invalid input"),
                errors=errors,
            )
        )

    def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        if isinstance(error, AuthenticationError):
            return response(
                ApiProblem(
                    401,
                    "unauthenticated",
                    _(
                        "Send a valid API token as “Authorization: Bearer …”. Create one "
                        "on the page “API tokens”; a revoked token no longer works."
                    ),
                    title=_("Not signed in"),
                    headers={"WWW-Authenticate": 'Bearer realm="belegsync"'},
                )
            )
        if isinstance(error, Throttled):
            wait = max(1, int(error.wait or 1))
            return response(
                ApiProblem(
                    429,
                    "rate_limited",
                    _("Too many requests with this token. Try again in %(seconds)d s.")
                    % {"seconds": wait},
                    title=_("Too many requests"),
                    headers={"Retry-After": str(wait)},
                )
            )
        if error.status_code == 404:
            return response(not_found())
        return response(ApiProblem(error.status_code, "http_error", str(error)))

    def on_not_found(request: HttpRequest, error: Exception) -> HttpResponse:
        return response(not_found())

    def on_role(request: HttpRequest, error: RoleForbids) -> HttpResponse:
        role = str(error.role.label) if error.role is not None else ""
        return response(
            ApiProblem(
                403,
                "forbidden",
                _(
                    "Your role (%(role)s) does not allow this. The token acts with its "
                    "user's role; ask your organisation's owner."
                )
                % {"role": role},
                title=_("Not allowed for your role"),
            )
        )

    def on_unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
        log.exception("api: unexpected error on %s %s", request.method, request.path)
        return response(
            ApiProblem(
                500,
                "internal",
                _("An internal error in belegsync. It has been logged; please try again later."),
                title=_("Internal error"),
            )
        )

    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(NotAllowed, on_not_found)
    api.add_exception_handler(RoleForbids, on_role)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(ApiProblem, on_problem)


def responses(*statuses: int, authenticated: bool = True) -> dict[int, type[ProblemOut]]:
    """The problem answers an endpoint documents (with a token: 401, 403 and 429 too)."""
    every = {*statuses, 401, 403, 429} if authenticated else set(statuses)
    return {status: ProblemOut for status in sorted(every)}
