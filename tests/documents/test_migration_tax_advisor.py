"""Migration documents/0016: the tax advisor's numbers move from the DATEV export settings
and the DATEV connections to the organisation, the one place every reader uses."""

from __future__ import annotations

import pytest

from tests.migrating import back_to_the_newest, before, migrate  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("back_to_the_newest"),
]

MIGRATION = ("documents", "0016_tax_advisor")
#: The export settings it reads, as they are when it runs.
EXPORTS = ("exports", "0004_queued_exports")


def test_the_numbers_move_to_the_organisation_and_back():
    """GIVEN an organisation with numbers in its export settings and (other ones) on its
    DATEV connection, one with numbers only on its connection, one with none
    WHEN the migration runs
    THEN each organisation has its numbers (the export settings' win), no old place keeps
    them, a connection's other target settings stay; reversed, both places have them."""
    old = migrate([before(MIGRATION), EXPORTS])
    Organisation = old.get_model("documents", "Organisation")
    Connection = old.get_model("documents", "Connection")
    ExporterSettings = old.get_model("exports", "ExporterSettings")
    both, only_connection, none = (
        Organisation.objects.create(name=n, slug=n) for n in ("both", "conn", "none")
    )
    ExporterSettings.objects.create(
        organisation=both,
        exporter="datev",
        settings={"consultant_number": 4711, "client_number": 1001, "chart": "04"},
    )

    def datev_connection(org, target):
        return Connection.objects.create(
            organisation=org,
            name=f"{org.slug} → DATEV",
            source_kind="billbee",
            target_kind="datev",
            settings={"policy": {"mark_paid": True}, "target": target},
        )

    differing = datev_connection(both, {"consultant_number": 1234, "client_number": 5})
    numbered = datev_connection(
        only_connection, {"consultant_number": 2002, "client_number": 7, "oss_tax_key": "240"}
    )
    datev_connection(none, {"chart": "04"})

    new = migrate([MIGRATION])
    orgs = {o.slug: o for o in new.get_model("documents", "Organisation").objects.all()}
    numbers = {s: (o.datev_consultant_number, o.datev_client_number) for s, o in orgs.items()}
    assert numbers == {"both": (4711, 1001), "conn": (2002, 7), "none": (None, None)}
    connections = new.get_model("documents", "Connection").objects
    assert connections.get(pk=numbered.pk).settings == {
        "policy": {"mark_paid": True},
        "target": {"oss_tax_key": "240"},
    }
    assert connections.get(pk=differing.pk).settings["target"] == {}
    export = new.get_model("exports", "ExporterSettings").objects.get(organisation_id=both.pk)
    assert export.settings == {"chart": "04"}

    back = migrate([before(MIGRATION), EXPORTS])
    assert back.get_model("exports", "ExporterSettings").objects.get().settings == {
        "consultant_number": 4711,
        "client_number": 1001,
        "chart": "04",
    }
    target = back.get_model("documents", "Connection").objects.get(pk=numbered.pk).settings
    assert target["target"] == {"consultant_number": 2002, "client_number": 7, "oss_tax_key": "240"}
