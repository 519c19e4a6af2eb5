"""Migration tests' one helper: migrate the test database to given nodes and back to the newest.

A data migration's test migrates to the node before it, writes rows in the old shape,
migrates forward (and back) and reads them; the fixture puts the database back at the
newest migrations, which every test after it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Node = tuple[str, str]


def migrate(targets: list[Node] | None = None, *, others_at_newest: bool = False) -> Any:
    """Migrate to ``targets`` (None: every app's newest) and return the apps of that state.

    ``others_at_newest``: the apps not named stay at their newest migration (so a test of
    one app's migration runs on every other table as it is today).
    """
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    leaves = executor.loader.graph.leaf_nodes()
    if targets is None:
        targets = leaves
    elif others_at_newest:
        named = {app for app, _ in targets}
        graph = executor.loader.graph
        kept = {n for target in targets for n in graph.forwards_plan(target)}
        targets = [
            _newest_without(graph, leaf, named, kept) for leaf in leaves if leaf[0] not in named
        ] + targets
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _newest_without(graph: Any, leaf: Node, named: set[str], kept: set[Node]) -> Node:
    """The newest node of ``leaf``'s app that needs no migration of the ``named`` apps
    beyond the ones ``kept`` (a documents migration that builds on an exports one is
    left out while exports is migrated back before it)."""
    node = leaf
    while any(n[0] in named and n not in kept for n in graph.forwards_plan(node)):
        (node,) = [p.key for p in graph.node_map[node].parents if p.key[0] == node[0]]
    return node


def before(migration: Node) -> Node:
    """The node ``migration`` follows in its app (survives renumbering of others)."""
    graph = MigrationExecutor(connection).loader.graph
    (parent,) = [p.key for p in graph.node_map[migration].parents if p.key[0] == migration[0]]
    return parent  # type: ignore[no-any-return]


@pytest.fixture
def back_to_the_newest() -> Iterator[None]:
    """Whatever the test migrated to, the test database ends at the newest migrations."""
    yield
    migrate()
