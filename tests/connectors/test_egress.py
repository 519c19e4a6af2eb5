"""Remote addresses are not user input (issue #14, item 1).

Each system's address is fixed in its client; only the operator's
BELEGSYNC_ALLOWED_REMOTES names another, and every request — every hop of a
redirect, every address a name resolves to — is checked before it is sent.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import ClassVar

import httpcore
import httpx
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from belegsync.config import ConfigurationError, load
from belegsync.connectors import egress
from belegsync.connectors.egress import AddressRefused
from belegsync.connectors.errors import NetworkError, ValidationRejected
from belegsync.connectors.http import ApiClient, RetryPolicy
from belegsync.sources.billbee.client import BillbeeClient
from belegsync.sources.billbee.forms import SettingsForm
from belegsync.targets.sevdesk.forms import SevdeskCredentialsForm
from tests.doubles import BILLBEE_CREDENTIALS, unthrottled_billbee


class Recorder:
    """A local server that records what reached it and answers with ``answer``."""

    def __init__(self, answer: Response | None = None) -> None:
        self.seen: list[str] = []
        self.answer = answer or Response('{"ok": true}', content_type="application/json")
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __call__(self, environ, start_response):
        self.seen.append(Request(environ).full_path)
        return self.answer(environ, start_response)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[type[Recorder]]:
    started: list[Recorder] = []

    def start(answer: Response | None = None) -> Recorder:
        server = Recorder(answer)
        started.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in started:
        server.stop()


def client_of(own: str, remote: str = "billbee") -> ApiClient:
    """A client whose system's own address is ``own`` (as an adapter fixes it)."""
    cls = type(
        "Probe",
        (ApiClient,),
        {"remote": remote, "addresses": (own,), "system": "Probe"},
    )
    return cls(retry=RetryPolicy(attempts=1))


def test_it_reads_the_operators_addresses():
    parsed = egress.parse("billbee=http://127.0.0.1:8001, sevdesk=https://proxy.internal/sev")
    assert parsed["billbee"].url == "http://127.0.0.1:8001"
    own = egress.Base.of("https://my.sevdesk.de/api/v1/")
    assert own.under(parsed["sevdesk"]).url == "https://proxy.internal/sev/api/v1/"


@pytest.mark.parametrize(
    "raw, says",
    [
        ("billbee", "system=URL"),
        ("mybank=http://10.0.0.1", "not one of"),
        ("billbee=ftp://x", "not an http"),
        ("billbee=http://a?x=1", "query"),
        ("billbee=http://a,billbee=http://b", "twice"),
    ],
)
def test_a_wrong_setting_stops_the_start_with_one_line(tmp_path, raw, says):
    with pytest.raises(ConfigurationError, match=f"BELEGSYNC_ALLOWED_REMOTES: .*{says}"):
        load({"BELEGSYNC_DATA_DIR": str(tmp_path), egress.ENV: raw})


@pytest.mark.django_db
def test_an_address_in_the_connection_settings_is_never_called(run_fake, point_at, recorder):
    """GIVEN a connection whose stored settings still name an internal address
    WHEN its Billbee source is asked for the shops
    THEN nothing reaches that address: the client goes to Billbee's own (no DNS here)."""
    from belegsync.connectors.base import AdapterContext
    from belegsync.sources.billbee.source import BillbeeSource

    internal = recorder()
    context = AdapterContext(
        credentials=BILLBEE_CREDENTIALS, settings={"billbee_base_url": f"{internal.url}/api/v1/"}
    )
    with pytest.raises(NetworkError) as caught:
        BillbeeSource.shops(context)
    assert caught.value.code == "remote.unreachable"
    assert internal.seen == []


def test_the_operators_address_is_used_and_only_it(run_fake):
    fake = run_fake(unthrottled_billbee(bulk=0, now=dt.datetime.now(dt.UTC)))
    with BillbeeClient(**BILLBEE_CREDENTIALS) as client:
        assert str(client.http.base_url) == f"{fake.url}/api/v1/"
        assert [shop.name for shop in client.shops()][:1] == ["teeladen-shopify"]
        with pytest.raises(AddressRefused):
            client.http.get(f"{fake.url}/__fake__/state")  # the double's, outside /api/v1/
        with pytest.raises(AddressRefused):
            client.http.get("http://127.0.0.1:1/api/v1/orders")


def test_a_redirect_to_another_address_is_refused_before_it_is_sent(point_at, recorder):
    inside = recorder()
    bouncer = recorder(Response(status=302, headers={"Location": f"{inside.url}/secret"}))
    point_at("billbee", bouncer.url)
    client = BillbeeClient(**BILLBEE_CREDENTIALS)
    client.http.follow_redirects = True  # belegsync never follows them; if it ever did:
    with pytest.raises(AddressRefused) as caught:
        client.http.get("orders")
    assert caught.value.code == "remote.address_refused"
    assert bouncer.seen == ["/api/v1/orders?"] and inside.seen == []


def test_a_systems_own_name_that_resolves_inside_the_network_is_refused(recorder):
    """DNS pointing a public name at 127.0.0.1 (here: 'localhost' as if it were the
    system's own host) is refused at the socket, before a byte is sent."""
    inside = recorder()
    client = client_of(f"http://localhost:{inside.server.server_port}/")
    with pytest.raises(AddressRefused, match=r"localhost \(127\.0\.0\.1\)"):
        client.request("GET", "anything")
    assert inside.seen == []


def test_a_host_the_operator_named_may_resolve_anywhere(point_at, recorder):
    inside = recorder()
    point_at("billbee", f"http://localhost:{inside.server.server_port}")
    client = client_of("https://api.billbee.io/api/v1/")
    assert client.request("GET", "orders").json() == {"ok": True}
    assert inside.seen == ["/api/v1/orders?"]


def test_an_error_quotes_only_a_short_excerpt_of_the_json_error_field(point_at, recorder):
    body = '{"ErrorMessage": "' + "bad\\n\\u0007value " * 500 + '", "ErrorCode": 11}'
    point_at("billbee", recorder(Response(body, status=400)).url)
    with pytest.raises(ValidationRejected) as caught:
        BillbeeClient(**BILLBEE_CREDENTIALS).shops()
    message = caught.value.message
    assert len(message) < 400 and "\n" not in message and "\x07" not in message
    assert "bad value bad value" in message


def test_an_answer_that_is_not_json_is_never_quoted(point_at, recorder):
    secret = "<html>root:x:0:0 internal admin page</html>"
    point_at("billbee", recorder(Response(secret, status=400)).url)
    with pytest.raises(ValidationRejected) as caught:
        BillbeeClient(**BILLBEE_CREDENTIALS).shops()
    assert "root:x" not in caught.value.message
    assert all("root:x" not in str(v) for v in caught.value.params.values())


class _Own(ApiClient):
    remote: ClassVar[str] = "sevdesk"
    addresses: ClassVar[tuple[str, ...]] = ("https://my.sevdesk.de/api/v1/",)


def test_a_client_cannot_be_given_another_base_url():
    with pytest.raises(ValueError, match="not an address of sevdesk"):
        _Own("http://10.0.0.1/api/v1/")


def test_the_forms_have_no_address_fields():
    assert "billbee_base_url" not in SettingsForm().fields
    assert "base_url" not in SevdeskCredentialsForm().fields
    from belegsync.sources.afterbuy.forms import ApiSettingsForm

    assert not {"afterbuy_api_url", "afterbuy_web_url"} & set(ApiSettingsForm().fields)


def test_no_client_trusts_the_environments_proxy(monkeypatch, point_at, recorder):
    """HTTPS_PROXY/HTTP_PROXY would send every request elsewhere: ignored."""
    target = recorder()
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    point_at("billbee", target.url)
    assert client_of("https://api.billbee.io/api/v1/").request("GET", "x").status_code == 200
    assert httpx.URL(target.url).port == target.server.server_port


def test_a_name_idna_cannot_encode_fails_at_once_instead_of_waiting():
    """GIVEN a host name with an empty label, which getaddrinfo refuses with UnicodeError
    WHEN it is resolved without a timeout or deadline
    THEN the lookup ends at once with ConnectError, not by waiting forever on the thread."""
    with pytest.raises(httpcore.ConnectError, match="cannot be resolved"):
        egress.resolve("a..b.org", 443)
