"""Set-up lists stored as text before 0014 read as they were, and as codes after a save."""

from __future__ import annotations

import pytest

from belegsync.documents.models import Connection
from belegsync.services import Actor
from belegsync.services import connections as services
from tests.migrating import back_to_the_newest, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
]

BEFORE = [("documents", "0013_connection_archived")]
AFTER = [("documents", "0014_setup_missing_as_reasons")]


def _migrate(targets):
    return migrate(targets, others_at_newest=True)


def test_an_old_set_up_list_is_shown_as_recorded_then_stored_as_codes():
    """GIVEN a connection whose set-up list was stored as German text
    WHEN the migration runs, and later the connection's set-up is looked at again
    THEN the old text is shown as it was (code legacy), back and forth; the next refresh
    stores codes."""
    old = _migrate(BEFORE)
    org = old.get_model("documents", "Organisation").objects.create(name="A", slug="a")
    text = "Billbee: Der Schritt „Allgemein“ ist noch nicht gespeichert."
    pk = (
        old.get_model("documents", "Connection")
        .objects.create(
            organisation=org,
            name="bb",
            source_kind="billbee",
            target_kind="memory",
            setup_complete=False,
            setup_missing=[text],
        )
        .pk
    )
    new = _migrate(AFTER)
    stored = new.get_model("documents", "Connection").objects.get(pk=pk).setup_missing
    assert stored == [{"code": "legacy", "params": {"text": text}}]
    assert services.setup_texts(Connection.objects.get(pk=pk)) == [text]
    back = _migrate(BEFORE)
    assert back.get_model("documents", "Connection").objects.get(pk=pk).setup_missing == [text]
    _migrate(AFTER)
    services.refresh_setup(Actor.system(), Connection.objects.get(pk=pk))
    codes = {r["code"] for r in Connection.objects.get(pk=pk).setup_missing}
    assert codes == {"setup.credentials", "setup.step"}
