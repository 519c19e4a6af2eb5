"""A Billbee connection's webhook: Billbee calls belegsync when orders change (push.py).

The receiver's URL carries a random token of its own per connection
(``/billbee/hooks/<connection>/<token>/``); belegsync keeps only the token's SHA-256,
so the database cannot give the address away. The key Billbee signs its calls with
is kept encrypted, like the credentials (``rotate_keys`` finds it). A webhook is
registered only where the operator published belegsync's address
(``BELEGSYNC_PUBLIC_URL``): addresses are never the merchant's input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from belegsync.connectors.base import AdapterContext
from belegsync.connectors.errors import ConnectorError
from belegsync.connectors.reasons import Reason
from belegsync.documents.fields import EncryptedJSONField

from . import push
from .client import BillbeeClient
from .source import BillbeeSource

if TYPE_CHECKING:
    from belegsync.documents.models import Connection


class PublicUrlMissing(Exception):
    """The operator has not set BELEGSYNC_PUBLIC_URL: Billbee cannot reach belegsync."""


class Webhook(models.Model):
    connection = models.OneToOneField(
        "documents.Connection", on_delete=models.CASCADE, related_name="billbee_webhook"
    )
    #: SHA-256 (hex) of the token in the receiver's URL.
    token_sha256 = models.CharField(max_length=64)
    #: ``{"key": …}``: what Billbee signs each call with (``ms-signature``).
    secret = EncryptedJSONField(default=dict)
    #: Billbee's id of the registration; empty while it is being registered.
    hook_id = models.CharField(max_length=100, blank=True)
    #: The BELEGSYNC_PUBLIC_URL it was registered under (a new address registers anew).
    public_url = models.CharField(max_length=500)
    registered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Billbee webhook of connection {self.connection_id}"


def public_url() -> str:
    return str(getattr(settings, "BELEGSYNC_PUBLIC_URL", "") or "")


def receiver_url(connection_id: int, token: str) -> str:
    path = reverse("billbee:webhook", kwargs={"pk": connection_id, "token": token})
    return public_url() + path


def client_for(connection: Connection) -> BillbeeClient:
    """A client with the connection's Billbee credentials (``PermanentError`` without)."""
    credentials = dict((connection.credentials or {}).get("source", {}))
    return BillbeeSource.make_client(
        AdapterContext(connection_id=connection.pk, credentials=credentials)
    )


def register(connection: Connection, client: BillbeeClient) -> Webhook:
    """Make sure Billbee calls this connection's receiver; registers anew when Billbee
    has lost the registration or belegsync's address changed. Raises
    :class:`PublicUrlMissing`, or the client's ``ConnectorError`` (nothing kept then)."""
    base = public_url()
    if not base:
        raise PublicUrlMissing
    current = Webhook.objects.filter(connection=connection).first()
    if current is not None and current.hook_id:
        if current.public_url == base and client.webhook(current.hook_id) is not None:
            return current
        client.delete_webhook(current.hook_id)
    token, key = push.new_token(), push.new_secret()
    # stored (and committed) before the registration: Billbee's echo call during it
    # reaches the receiver, which must know the token by then
    hook, _ = Webhook.objects.update_or_create(
        connection=connection,
        defaults={
            "token_sha256": push.token_sha256(token),
            "secret": {"key": key},
            "hook_id": "",
            "public_url": base,
            "registered_at": None,
        },
    )
    try:
        hook.hook_id = client.add_webhook(
            uri=receiver_url(connection.pk, token),
            secret=key,
            filters=push.filters_for(client.webhook_filters()),
            description=f"belegsync: {connection.name}"[:200],
        )
    except Exception:
        hook.delete()
        raise
    hook.registered_at = timezone.now()
    hook.save(update_fields=["hook_id", "registered_at"])
    return hook


def unregister(connection: Connection, client: BillbeeClient) -> bool:
    """Remove the connection's registration at Billbee and here; False when there was none.
    Raises the client's ``ConnectorError`` (the registration is kept then, to try again)."""
    hook = Webhook.objects.filter(connection=connection).first()
    if hook is None:
        return False
    if hook.hook_id:
        client.delete_webhook(hook.hook_id)
    hook.delete()
    return True


def on_archive(connection: Connection) -> list[Reason]:
    """An archived connection's webhook is removed at Billbee (``BillbeeSource.on_archive``),
    so Billbee stops calling it. Returns why it could not be, as reasons: the registration
    is kept then, to be removed with the page's button; meanwhile the receiver answers
    the archived connection's calls 410 Gone, which makes a sender that follows ASP.NET
    WebHooks drop the registration itself (unverified for Billbee: push.py)."""
    if not Webhook.objects.filter(connection=connection).exists():
        return []
    try:
        with client_for(connection) as client:
            unregister(connection, client)
    except ConnectorError as error:
        return [Reason("billbee.webhook_not_removed"), *error.reasons]
    return []


def on_restore(connection: Connection) -> list[Reason]:
    """A restored connection's webhook is set up at Billbee again where the operator
    published belegsync's address (as saving step 1 does). Returns why it could not be:
    the connection then asks Billbee at its interval, and the step's button tries again."""
    if not public_url():
        return []
    try:
        with client_for(connection) as client:
            register(connection, client)
    except ConnectorError as error:
        return [Reason("billbee.webhook_not_registered"), *error.reasons]
    return []
