"""What the API does the command line does, through the same services."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from belegsync.api.models import ApiToken
from tests.api.conftest import ApiClient
from tests.web.helpers import failed, make_document


def test_documents_list_prints_the_web_lists(capsys, connection, other_org):
    failed(connection, "RE-1")
    make_document(connection, "GS-2", kind="credit_note", state="done")
    call_command("documents", "list")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["GS-2", "RE-1"]
    assert "-44.95" in lines[0] and lines[1].endswith("rejected")
    call_command("documents", "list", "--state", "failed")
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["RE-1"]
    call_command("documents", "list", "--organisation", other_org.slug)
    assert capsys.readouterr().out == ""


def test_documents_actions_report_each_and_exit_1_on_a_refusal(capsys, connection):
    one = failed(connection, "RE-1")
    two = make_document(connection, "RE-2", state="waiting")
    with pytest.raises(SystemExit) as exited:
        call_command("documents", "reset", str(one.pk), str(two.pk), "999")
    assert exited.value.code == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok") and out[1].startswith("refused") and out[2].startswith("missing")
    one.refresh_from_db()
    assert one.state == "waiting"
    assert one.events.get(action="reset").actor == "cli"


def test_tokens_from_the_command_line(capsys, alice):
    call_command("token", "create", "alice", "cron")
    secret = capsys.readouterr().out.strip()
    assert ApiClient(secret).get("/documents").status_code == 200
    token = ApiToken.objects.get(user=alice)
    call_command("token", "revoke", "alice", str(token.pk))
    assert ApiClient(secret).get("/documents").status_code == 401
    with pytest.raises(CommandError):
        call_command("token", "create", "nobody", "x")
