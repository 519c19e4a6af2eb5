"""Invoice PDFs from Afterbuy's web interface, with the merchant's Afterbuy login.

The XML API has no call for invoice PDFs (reference README §9); a lexoffice
connector asks for the Afterbuy login "to download the PDF documents". So this
client logs in like a browser (form fields ``Username`` and ``Password`` at
``/Account/Login``, README §9 after a third-party scraper) and keeps the session
cookie for every following download; when Afterbuy sends it back to the login
page (session expired), it logs in once more and repeats the download.

**Unverified:** the real PDF URL and the login's redirects (WS-Federation single
sign-on at login.afterbuy.de). Both paths are settings (``LOGIN_PATH``,
``PDF_PATH``) and match belegsync's fake; check them against a real account
before relying on PDFs. Screen-scraping may also conflict with Afterbuy's terms,
so PDFs stay optional: without a login, documents go without a PDF.

A wrong password raises :class:`AuthError`: the engine pauses the connection
with that message instead of failing every document.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from belegsync.connectors.errors import AuthError, NotFound, PermanentError, TooLarge
from belegsync.connectors.http import BODY_LIMITS, RAW_LIMIT, ApiClient, BodyKind, RetryPolicy

DEFAULT_WEB_URL = "https://login.afterbuy.de"
LOGIN_PATH = "/Account/Login"
PDF_PATH = "/afterbuy/invoice.aspx"
#: A real invoice is tens of kilobytes; anything this big is not one.
MAX_PDF_BYTES = BODY_LIMITS[BodyKind.PDF]
PDF_MAGIC = b"%PDF-"


class AfterbuyWebClient(ApiClient):
    """One logged-in browser session per Afterbuy account (cookies kept by httpx)."""

    system: ClassVar[str] = "Afterbuy"
    remote: ClassVar[str] = "afterbuy"
    addresses: ClassVar[tuple[str, ...]] = (DEFAULT_WEB_URL,)
    kind: ClassVar[BodyKind] = BodyKind.PDF

    def __init__(
        self,
        *,
        user: str,
        password: str,
        max_bytes: int = MAX_PDF_BYTES,
        **kwargs: Any,
    ) -> None:
        if not (user and password):
            raise AuthError(
                "The Afterbuy login (user name and password) for downloading invoice PDFs is "
                "missing; enter it in the connection settings.",
                code="afterbuy.login_missing",
            )
        self._user, self._password = user, password
        self.max_bytes = max_bytes
        self.logged_in = False
        self.logins = 0
        kwargs.setdefault("limiter_key", f"afterbuy-web:{user}")
        kwargs.setdefault("retry", RetryPolicy(attempts=2))
        super().__init__(**kwargs)

    def login(self) -> None:
        response = self.request(
            "POST",
            LOGIN_PATH,
            data={"Username": self._user, "Password": self._password, "StaySignedIn": "true"},
        )
        # success is a redirect into the account; a wrong password shows the form again
        if response.status_code not in (301, 302, 303) or _is_login(
            response.headers.get("Location", "/")
        ):
            raise AuthError(
                f"Afterbuy did not accept the login of user '{self._user}' for downloading "
                "invoice PDFs. Check the Afterbuy user name and password in the connection "
                "settings; the connection is paused until then.",
                raw=response.text[:RAW_LIMIT],
                status=response.status_code,
                code="afterbuy.login_refused",
                params={"name": self._user},
            )
        self.logged_in = True
        self.logins += 1

    def invoice_pdf(self, order_id: str, number: str) -> bytes:
        """The PDF of the invoice of Afterbuy order (Vorgang) ``order_id``."""
        if not self.logged_in:
            self.login()
        content = self._download(order_id, number)
        if content is None:  # sent to the login page: the session expired
            self.login()
            content = self._download(order_id, number)
        if content is None:
            raise AuthError(
                "Afterbuy keeps asking for the login although it accepted it; the connection "
                "is paused. Try logging in to Afterbuy in a browser.",
                code="afterbuy.login_loop",
            )
        return content

    def _download(self, order_id: str, number: str) -> bytes | None:
        try:
            response = self.request(
                "GET", PDF_PATH, params={"OrderID": order_id}, limit=self.max_bytes
            )
        except NotFound as error:
            error.message = f"Afterbuy has no invoice PDF for invoice {number} (order {order_id})."
            raise
        except TooLarge as error:
            error.message = (
                f"The PDF of invoice {number} is more than the {self.max_bytes} bytes "
                "an invoice PDF may have; not taken."
            )
            raise
        location = response.headers.get("Location", "")
        if response.status_code in (301, 302, 303) and _is_login(location):
            return None
        if response.status_code >= 300:
            raise self.error_for(response)
        return self._checked_pdf(response, order_id, number)

    def _checked_pdf(self, response: httpx.Response, order_id: str, number: str) -> bytes:
        content = response.content
        if not content.startswith(PDF_MAGIC):
            start = content[:200].decode("utf-8", "replace")
            raise PermanentError(
                f"Afterbuy answered the download of invoice {number} (order {order_id}) with "
                f"something that is not a PDF ({response.headers.get('Content-Type', 'no type')}"
                "). Afterbuy may be under maintenance or its pages changed; reset the document "
                "later or upload the PDF by hand.",
                raw=start,
                status=response.status_code,
                code="remote.bad_answer",
                params={"system": self.system},
            )
        return content


def _is_login(location: str) -> bool:
    return urlsplit(location).path.rstrip("/").lower() == LOGIN_PATH.lower()
