"""Uploads: a file for a connection becomes an import job, read by a task.

The web's upload page, ``belegsync import SOURCE FILE`` and the REST API call
:func:`start_import`; the job (``belegsync.sync.models.ImportJob``) then holds
progress and result for whoever asks.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from belegsync.connectors import registry
from belegsync.connectors.base import FileSource
from belegsync.documents.models import Connection
from belegsync.documents.roles import Permission
from belegsync.sync import imports
from belegsync.sync.models import ImportJob
from belegsync.sync.tasks import import_file, worker_name

from .actor import Actor, NotAllowed

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
CHUNK = 1024 * 1024


class UploadRefused(ValueError):
    """The upload cannot become an import (too large, a source that takes no files)."""


def max_upload_bytes() -> int:
    """The upload limit: ``settings.BELEGSYNC_IMPORT_MAX_BYTES``, default 200 MB."""
    return int(getattr(settings, "BELEGSYNC_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def too_large_message() -> str:
    return _(
        "The file is larger than %(mb)d MB. Export a shorter period and upload the parts "
        "one after another."
    ) % {"mb": max_upload_bytes() // (1024 * 1024)}


def takes_files(connection: Connection) -> bool:
    """Whether the connection's source reads uploaded files."""
    try:
        cls = registry.source_class(connection.source_kind)
    except registry.UnknownKind:
        return False
    return callable(getattr(cls, "read_file", None))


def file_source_class(connection: Connection) -> type[FileSource] | None:
    if not takes_files(connection):
        return None
    return registry.source_class(connection.source_kind)  # type: ignore[return-value]


def importable_connections(actor: Actor) -> list[Connection]:
    """The actor's connections in use that take uploaded files, by name."""
    in_use = actor.connections().filter(archived_at__isnull=True).order_by("name")
    return [c for c in in_use if takes_files(c)]


def start_import(
    actor: Actor,
    connection: Connection,
    chunks: Iterable[bytes],
    filename: str,
    *,
    mode: ImportJob.Mode | str = ImportJob.Mode.VALID,
    enqueue: bool = True,
) -> ImportJob:
    """Keep the uploaded file and queue its import; the job says how it goes.

    Raises :class:`UploadRefused` for a file over the limit (nothing is kept),
    a connection whose source takes no files, or an archived one.
    """
    actor.require(Permission.IMPORT_FILES)
    actor.require_connection(connection)
    if not takes_files(connection):
        raise UploadRefused(_("This connection's source takes no uploaded files."))
    if connection.archived_at is not None:
        raise UploadRefused(
            _("“%(name)s” is archived and takes no files; restore it first.")
            % {"name": connection.name}
        )
    mode = ImportJob.Mode(mode)
    limit = max_upload_bytes()
    digest = hashlib.sha256()
    size = 0
    job = ImportJob(
        connection=connection,
        user=actor.user,
        actor=actor.name,
        filename=Path(filename).name[:200] or "upload",
        mode=mode,
    )
    storage, name = job.file.storage, ""
    try:
        with tempfile.TemporaryFile() as spool:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise UploadRefused(too_large_message())
                digest.update(chunk)
                spool.write(chunk)
            spool.seek(0)
            job.size, job.sha256 = size, digest.hexdigest()
            # named here, so that a write cut off by a full disk can be removed by name
            name = job.file.field.generate_filename(job, job.filename)
            with transaction.atomic():
                job.file.name = storage.save(name, File(spool))
                job.save()
                if enqueue:
                    # the task must find the committed job row (never one that rolls back)
                    transaction.on_commit(lambda: import_file.enqueue(job.pk))
    except (OSError, DatabaseError) as error:
        # a full disk or a lost database: no job, and no half-written file left behind
        if name and storage.exists(name):
            storage.delete(name)
        log.warning("upload %s not kept: %s", job.filename, error)
        raise UploadRefused(
            _(
                "The file could not be kept: the server's disk is full or its database "
                "cannot be reached. Nothing was imported; try again later or tell the "
                "administrator."
            )
        ) from error
    return job


def start_import_from_path(
    actor: Actor, connection: Connection, path: Path, *, mode: str = ImportJob.Mode.VALID
) -> ImportJob:
    with path.open("rb") as handle:
        return start_import(
            actor,
            connection,
            iter(lambda: handle.read(CHUNK), b""),
            path.name,
            mode=mode,
            enqueue=False,
        )


def import_now(actor: Actor, job: ImportJob) -> ImportJob:
    """Run the job in this process (the CLI waits for its result)."""
    actor.require(Permission.IMPORT_FILES)
    actor.require_connection(job.connection)
    imports.run(job.pk, worker_name())
    job.refresh_from_db()
    return job


def import_again(actor: Actor, job: ImportJob) -> ImportJob:
    """Read the file again ("try again"; once its columns are assigned): a job that lost
    its workers resumes after its last stored batch, any other starts from the top."""
    actor.require(Permission.IMPORT_FILES)
    actor.require_connection(job.connection)
    imports.try_again(job)
    transaction.on_commit(lambda: import_file.enqueue(job.pk))
    job.refresh_from_db()
    return job


def jobs(actor: Actor) -> QuerySet[ImportJob]:
    """The actor's import jobs, newest first."""
    actor.require(Permission.IMPORT_FILES)
    organisation = actor.organisation
    found = ImportJob.objects.select_related("connection", "user").order_by("-id")
    return found if organisation is None else found.filter(connection__organisation=organisation)


def job(actor: Actor, pk: int) -> ImportJob:
    """One of the actor's jobs; NotAllowed (the interfaces say 'not found') otherwise."""
    try:
        return jobs(actor).get(pk=pk)
    except ImportJob.DoesNotExist:
        raise NotAllowed("No such import.") from None
