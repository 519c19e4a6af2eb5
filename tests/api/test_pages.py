"""The lists' keyset pages and the 404 for another organisation's object, shared by the routers."""

from __future__ import annotations

import pytest

from belegsync.api import problems
from belegsync.api.pages import cursor_page, not_found_unless_own
from belegsync.documents.models import Organisation
from belegsync.documents.roles import Permission, Role
from belegsync.services.actor import NotAllowed, RoleForbids


def test_it_walks_every_row_once_newest_first(db):
    made = [Organisation.objects.create(slug=f"o{i}", name=f"O {i}").pk for i in range(5)]
    seen, after = [], None
    while True:
        page = cursor_page(Organisation.objects.order_by("name"), after, 2, lambda o: o.pk)
        seen += page["items"]
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(made, reverse=True)


def test_not_allowed_is_not_found_and_a_roles_refusal_stays_itself():
    with pytest.raises(problems.ApiProblem) as caught, not_found_unless_own("No such export."):
        raise NotAllowed("another organisation's")
    assert caught.value.status == 404 and caught.value.detail == "No such export."
    with pytest.raises(RoleForbids), not_found_unless_own("No such export."):
        raise RoleForbids(Role.TAX_ADVISOR, Permission.EXPORT)
