"""/connections and /organisation: what the connection page shows and its switches."""

from __future__ import annotations

from belegsync.documents.models import Connection, ConnectionEvent, Organisation


def test_it_lists_the_organisations_connections_without_secrets(as_alice, connection, other_org):
    Connection.objects.create(
        organisation=other_org, name="Bob's", source_kind="memory", target_kind="memory"
    )
    body = as_alice.get("/connections").json()
    assert [c["name"] for c in body] == ["Shop → Books"]
    item = body[0]
    assert item["credentials_saved"] == {"source": False, "target": True}
    assert item["source"]["kind"] == "memory" and item["enabled"] is True
    assert "alice-books" not in str(as_alice.get(f"/connections/{connection.pk}").content)


def test_another_organisations_connection_is_not_found(as_bob, connection):
    for answer in (
        as_bob.get(f"/connections/{connection.pk}"),
        as_bob.post(f"/connections/{connection.pk}/enabled", {"enabled": False}),
        as_bob.post(f"/connections/{connection.pk}/sync-now"),
        as_bob.post(f"/connections/{connection.pk}/check"),
    ):
        assert answer.status_code == 404
    connection.refresh_from_db()
    assert connection.enabled is True


def test_it_switches_a_connection_off_and_on(as_alice, connection):
    body = as_alice.post(f"/connections/{connection.pk}/enabled", {"enabled": False}).json()
    assert body["enabled"] is False and body["active"] is False
    connection.refresh_from_db()
    assert connection.enabled is False
    assert as_alice.post(f"/connections/{connection.pk}/enabled", {}).status_code == 422


def test_sync_now_says_whether_it_will_run(as_alice, connection):
    assert as_alice.post(f"/connections/{connection.pk}/sync-now").json()["will_run"] is True
    connection.refresh_from_db()
    assert connection.next_sync_at is not None
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    assert as_alice.post(f"/connections/{connection.pk}/sync-now").json()["will_run"] is False


def test_check_again_records_the_check_in_the_history(as_alice, connection):
    body = as_alice.post(f"/connections/{connection.pk}/check").json()
    assert body["ok"] is True and body["problems"] == []
    assert ConnectionEvent.objects.filter(connection=connection, action="checked").exists()
    detail = as_alice.get(f"/connections/{connection.pk}").json()
    assert detail["history"][0]["action"] == "checked"


def test_the_organisation_switch(as_alice, org, as_bob, other_org):
    assert as_alice.get("/organisation").json() == {
        "name": org.name,
        "slug": "alice",
        "sync_enabled": True,
    }
    assert as_alice.post("/organisation/sync", {"enabled": False}).json()["sync_enabled"] is False
    assert Organisation.objects.get(pk=org.pk).sync_enabled is False
    assert Organisation.objects.get(pk=other_org.pk).sync_enabled is True
