"""The one registry of source and target kinds: identifier → class (a plain dict).

Classes are named by import path and loaded on first use, so the registry does
not import every adapter (and its dependencies) at start-up.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from .base import AdapterContext, Source, Target
from .exporters import Exporter

SOURCES: dict[str, str] = {
    "memory": "belegsync.sources.memory.MemorySource",
    "afterbuy_csv": "belegsync.sources.afterbuy.csv_source.AfterbuyCsvSource",
    "afterbuy_api": "belegsync.sources.afterbuy.api_source.AfterbuyApiSource",
    "billbee": "belegsync.sources.billbee.BillbeeSource",
}

TARGETS: dict[str, str] = {
    "memory": "belegsync.targets.memory.MemoryTarget",
    "lexoffice": "belegsync.targets.lexoffice.LexofficeTarget",
    "sevdesk": "belegsync.targets.sevdesk.SevdeskTarget",
    "datev": "belegsync.targets.datev.target.DatevTarget",
}

#: Manual export formats (``connectors.exporters.Exporter``): the identifier is what an
#: export job, the API and ``belegsync export --format`` call the format.
EXPORTERS: dict[str, str] = {
    "datev": "belegsync.targets.datev.exporter.DatevExporter",
    "csv": "belegsync.targets.csvexport.exporters.CsvExporter",
    "csv-excel": "belegsync.targets.csvexport.exporters.ExcelCsvExporter",
    "pdf-zip": "belegsync.targets.csvexport.exporters.PdfZipExporter",
}

#: Readers of source files for ``belegsync preview``: a function ``(path, connection
#: settings) -> Iterator[tuple[document number, Voucher | list of error messages]]``, in
#: file order, raising ``errors.UnreadableFile`` when the file cannot be read at all.
FILE_READERS: dict[str, str] = {
    "afterbuy-csv": "belegsync.sources.afterbuy.csv.preview_file",
    "billbee-json": "belegsync.sources.billbee.preview.preview_file",
}

#: Kinds that exist for tests and the demo; not offered when a merchant sets up a connection.
INTERNAL_KINDS = frozenset({"memory"})


def adapter_packages() -> list[str]:
    """Each registered adapter's folder (package), once, in registration order.

    The folder of ``belegsync.sources.afterbuy.csv_source.AfterbuyCsvSource`` is
    ``belegsync.sources.afterbuy``; a class named in a package's ``__init__`` is
    in that package. Found without importing the adapters.
    """
    packages: dict[str, None] = {}
    for path in (*SOURCES.values(), *TARGETS.values(), *EXPORTERS.values()):
        module = path.rsplit(".", 1)[0]
        spec = find_spec(module)
        is_package = spec is not None and spec.submodule_search_locations is not None
        packages[module if is_package else module.rsplit(".", 1)[0]] = None
    return list(packages)


def _folder(package: str) -> Path | None:
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def app_packages() -> list[str]:
    """The adapter folders Django installs as apps: those with an ``apps.py`` or templates."""
    found = []
    for package in adapter_packages():
        folder = _folder(package)
        if folder is not None and (
            (folder / "apps.py").exists() or (folder / "templates").is_dir()
        ):
            found.append(package)
    return found


def url_packages() -> list[tuple[str, str]]:
    """(prefix, urls module) of each adapter folder with a ``urls.py``: its pages live
    under ``/<folder name>/``."""
    found = []
    for package in adapter_packages():
        folder = _folder(package)
        if folder is not None and (folder / "urls.py").exists():
            found.append((package.rsplit(".", 1)[-1], f"{package}.urls"))
    return found


class UnknownKind(LookupError):
    pass


@cache
def _load(path: str) -> Any:
    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)


def source_class(kind: str) -> type[Source]:
    try:
        return _load(SOURCES[kind])  # type: ignore[no-any-return]
    except KeyError:
        raise UnknownKind(f"No source of kind {kind!r}; known: {', '.join(SOURCES)}") from None


def fetching_kinds() -> frozenset[str]:
    """Source kinds with something to fetch each interval.

    A source whose documents only arrive as uploads sets ``fetches = False``:
    the scheduler starts its cycle only when it has work waiting.
    """
    return frozenset(kind for kind in SOURCES if getattr(source_class(kind), "fetches", True))


def target_class(kind: str) -> type[Target]:
    try:
        return _load(TARGETS[kind])  # type: ignore[no-any-return]
    except KeyError:
        raise UnknownKind(f"No target of kind {kind!r}; known: {', '.join(TARGETS)}") from None


def exporter_class(identifier: str) -> type[Exporter]:
    try:
        return _load(EXPORTERS[identifier])  # type: ignore[no-any-return]
    except KeyError:
        raise UnknownKind(
            f"No export format {identifier!r}; known: {', '.join(EXPORTERS)}"
        ) from None


def exporter_choices() -> list[tuple[str, Any]]:
    """(identifier, verbose name) of every export format, in registration order."""
    return [(identifier, exporter_class(identifier).verbose_name) for identifier in EXPORTERS]


def exporter_tags() -> list[str]:
    """The tags the export formats give, each once, sorted."""
    return sorted({exporter_class(identifier).tag for identifier in EXPORTERS})


def file_reader(name: str) -> Any:
    try:
        return _load(FILE_READERS[name])
    except KeyError:
        raise UnknownKind(f"No file reader {name!r}; known: {', '.join(FILE_READERS)}") from None


def adapter_part(adapter: Any, attribute: str) -> Any:
    """What an adapter's core names by path relative to its folder, imported when asked for.

    A core names its UI part and its tables that way (``credentials_form =
    "forms.CredentialsForm"``, ``on_archive = "models.on_archive"``), so it imports
    neither Django forms nor models itself. None when the adapter names nothing; a value
    given directly (a test's adapter) is taken as it is.
    """
    value = getattr(adapter, attribute, None)
    if not isinstance(value, str):
        return value
    module, name = value.rsplit(".", 1)
    package = adapter.__module__
    if not hasattr(import_module(package), "__path__"):
        package = package.rsplit(".", 1)[0]
    return getattr(import_module(f"{package}.{module}"), name)


def make_source(kind: str, context: AdapterContext) -> Source:
    return source_class(kind)(context)  # type: ignore[call-arg]


def make_target(kind: str, context: AdapterContext) -> Target:
    return target_class(kind)(context)  # type: ignore[call-arg]


def choices(registry: dict[str, str], internal: bool = False) -> list[tuple[str, str]]:
    return [
        (kind, _load(path).verbose_name)
        for kind, path in registry.items()
        if internal or kind not in INTERNAL_KINDS
    ]
