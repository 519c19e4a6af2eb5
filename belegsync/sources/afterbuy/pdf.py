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

from belegsync.connectors.errors import AuthError, NetworkError, NotFound, PermanentError
from belegsync.connectors.http import RAW_LIMIT, ApiClient, RetryPolicy

DEFAULT_WEB_URL = "https://login.afterbuy.de"
LOGIN_PATH = "/Account/Login"
PDF_PATH = "/afterbuy/invoice.aspx"
#: A real invoice is tens of kilobytes; anything this big is not one.
MAX_PDF_BYTES = 20 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


class AfterbuyWebClient(ApiClient):
    """One logged-in browser session per Afterbuy account (cookies kept by httpx)."""

    system: ClassVar[str] = "Afterbuy"
    remote: ClassVar[str] = "afterbuy"
    addresses: ClassVar[tuple[str, ...]] = (DEFAULT_WEB_URL,)

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
                "is paused. Try logging in to Afterbuy in a browser."
            )
        return content

    def _download(self, order_id: str, number: str) -> bytes | None:
        self.limiter.acquire(self.limiter_key)
        try:
            with self.http.stream("GET", PDF_PATH, params={"OrderID": order_id}) as response:
                location = response.headers.get("Location", "")
                if response.status_code in (301, 302, 303) and _is_login(location):
                    return None
                if response.status_code >= 300:
                    response.read()
                    error = self.error_for(response)
                    if isinstance(error, NotFound):
                        error.message = (
                            f"Afterbuy has no invoice PDF for invoice {number} (order {order_id})."
                        )
                    raise error
                return self._read_pdf(response, order_id, number)
        except httpx.TimeoutException as exc:
            raise NetworkError(
                "Afterbuy did not send the invoice PDF in time.", raw=repr(exc)
            ) from exc
        except httpx.TransportError as exc:
            raise NetworkError(f"The connection to Afterbuy broke ({exc}).", raw=repr(exc)) from exc

    def _read_pdf(self, response: httpx.Response, order_id: str, number: str) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_big(number, int(declared))
        content = bytearray()
        for chunk in response.iter_bytes():
            content += chunk
            if len(content) > self.max_bytes:
                raise self._too_big(number, len(content))
        if not content.startswith(PDF_MAGIC):
            start = bytes(content[:200]).decode("utf-8", "replace")
            raise PermanentError(
                f"Afterbuy answered the download of invoice {number} (order {order_id}) with "
                f"something that is not a PDF ({response.headers.get('Content-Type', 'no type')}"
                "). Afterbuy may be under maintenance or its pages changed; reset the document "
                "later or upload the PDF by hand.",
                raw=start,
                status=response.status_code,
            )
        return bytes(content)

    def _too_big(self, number: str, size: int) -> PermanentError:
        return PermanentError(
            f"The PDF of invoice {number} is {size} bytes, more than the "
            f"{self.max_bytes // (1024 * 1024)} MB an invoice PDF may have; not taken."
        )


def _is_login(location: str) -> bool:
    return urlsplit(location).path.rstrip("/").lower() == LOGIN_PATH.lower()
