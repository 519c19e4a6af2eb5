"""Configuration from environment variables only, checked once at start-up.

A wrong value stops belegsync with one line that names the variable and what
it accepts (:class:`ConfigurationError`). Secrets that are not given are
generated on first run and kept in the data directory with mode 0600, never
hard-coded.
"""

from __future__ import annotations

import os
import re
import secrets
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet

from belegsync.connectors import egress

TASK_BACKENDS = ("database", "rq", "immediate")
#: Where the per-account token buckets live so all workers share them (sync/ratelimit.py).
SHARED_LIMITERS = ("database", "redis", "process")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class ConfigurationError(Exception):
    """One environment variable is wrong; the message names it."""


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database: dict[str, object]
    secret_key: str
    fernet_keys: tuple[str, ...]
    task_backend: str
    redis_url: str
    debug: bool
    allowed_hosts: tuple[str, ...]
    csrf_trusted_origins: tuple[str, ...]
    time_zone: str
    #: Served through TLS (a proxy in front): secure cookies, HSTS, redirect to https.
    https: bool = False
    #: The header the proxy sets to say the request came by https ("X-Forwarded-Proto").
    proxy_header: str = ""
    hsts_seconds: int = 0
    #: The header the proxy writes the visitor's address into ("X-Forwarded-For"), and how
    #: many proxies append to it (web/client_ip.py); empty: the connection's address.
    client_ip_header: str = ""
    trusted_proxies: int = 1
    #: Notifications by e-mail (sync/notify.py): the SMTP server, empty: none sent.
    mail: dict[str, object] = field(default_factory=dict)
    #: Sync engine: the shared rate limiter and the leases (DESIGN §5–6).
    shared_limiter: str = "database"
    lease_seconds: int = 300
    cycle_lease_seconds: int = 600
    #: REST API: requests one token may send per minute (then 429 with Retry-After).
    api_requests_per_minute: int = 600
    pause_after_failed_cycles: int = 5
    #: Where the remote systems reach this installation (Billbee's webhooks call it), as
    #: the operator publishes it; empty: nothing is registered, the sources are polled.
    public_url: str = ""


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a yes/no value; use 1 or 0.")


def _list(env: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in env.get(name, default).split(",") if item.strip())


def _secret_file(path: Path, make: str) -> str:
    """Read a generated secret, creating it (mode 0600) on first run."""
    if path.exists():
        return path.read_text().strip()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(make + "\n")
    return make


def private_files() -> None:
    """Everything this process creates from now on is its own: files 0600, folders 0700.

    The database, its WAL, uploads, PDFs, exports and keys hold merchants' data and
    secrets; a umask covers every writer (SQLite, Django's storage, the exporters)."""
    os.umask(0o077)


def _data_dir(env: Mapping[str, str]) -> Path:
    raw = env.get("BELEGSYNC_DATA_DIR", "").strip()
    path = Path(raw).expanduser() if raw else Path.cwd() / "data"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # also a data directory made before, or by hand
    except OSError as exc:
        raise ConfigurationError(
            f"BELEGSYNC_DATA_DIR={str(path)!r} cannot be created ({exc.strerror})."
        ) from exc
    if not os.access(path, os.W_OK):
        raise ConfigurationError(f"BELEGSYNC_DATA_DIR={str(path)!r} is not writable.")
    return path.resolve()


def _database(env: Mapping[str, str], data_dir: Path) -> dict[str, object]:
    url = env.get("DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'belegsync.sqlite3'}"
    try:
        db: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    except Exception as exc:
        raise ConfigurationError(
            f"DATABASE_URL is not a database URL ({exc}); "
            "use sqlite:///path/file.sqlite3 or postgres://user@host/db."
        ) from exc
    engine = str(db.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        # WAL lets the web server read while the worker writes; IMMEDIATE takes
        # the write lock at BEGIN, so concurrent writers wait (busy timeout)
        # instead of failing with "database is locked" half-way.
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": _seconds(env, "BELEGSYNC_DB_BUSY_SECONDS", 30, 1),
        }
    elif engine.endswith("postgresql"):
        db["CONN_HEALTH_CHECKS"] = True
    else:
        raise ConfigurationError(
            f"DATABASE_URL names the engine {engine!r}; belegsync supports SQLite and PostgreSQL."
        )
    return db


def _fernet_keys(env: Mapping[str, str], data_dir: Path) -> tuple[str, ...]:
    raw = env.get("BELEGSYNC_FERNET_KEYS", "").strip()
    keys = (
        _list(env, "BELEGSYNC_FERNET_KEYS", "")
        if raw
        else (_secret_file(data_dir / "fernet.key", Fernet.generate_key().decode()),)
    )
    for key in keys:
        try:
            Fernet(key)
        except ValueError as exc:
            raise ConfigurationError(
                "BELEGSYNC_FERNET_KEYS holds a key that is not a Fernet key "
                "(32 url-safe base64 bytes); generate one with `belegsync genkey`."
            ) from exc
    return keys


def load(env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    data_dir = _data_dir(env)
    secret_key = env.get("BELEGSYNC_SECRET_KEY", "").strip() or _secret_file(
        data_dir / "secret_key", secrets.token_urlsafe(50)
    )
    if len(secret_key) < 32:
        raise ConfigurationError("BELEGSYNC_SECRET_KEY is shorter than 32 characters.")
    task_backend = env.get("BELEGSYNC_TASK_BACKEND", "database").strip() or "database"
    if task_backend not in TASK_BACKENDS:
        raise ConfigurationError(
            f"BELEGSYNC_TASK_BACKEND={task_backend!r} is unknown; use one of "
            f"{', '.join(TASK_BACKENDS)}."
        )
    redis_url = env.get("BELEGSYNC_REDIS_URL", "").strip()
    if task_backend == "rq" and not redis_url:
        raise ConfigurationError("BELEGSYNC_TASK_BACKEND=rq needs BELEGSYNC_REDIS_URL.")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(f"BELEGSYNC_REDIS_URL={redis_url!r} is not a redis:// URL.")
    _check_remotes(env)
    return Config(
        data_dir=data_dir,
        database=_database(env, data_dir),
        secret_key=secret_key,
        fernet_keys=_fernet_keys(env, data_dir),
        task_backend=task_backend,
        redis_url=redis_url,
        debug=_bool(env, "BELEGSYNC_DEBUG", False),
        **_web(env),
        mail=_mail(env),
        time_zone=_time_zone(env),
        api_requests_per_minute=_seconds(
            env, "BELEGSYNC_API_REQUESTS_PER_MINUTE", 600, 1, unit="requests"
        ),
        **_engine(env, redis_url),
        public_url=_public_url(env),
    )


def _web(env: Mapping[str, str]) -> dict[str, object]:
    """Hosts, TLS and the proxy: what the web server trusts."""
    hosts = _list(env, "BELEGSYNC_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
    https = _bool(env, "BELEGSYNC_HTTPS", False)
    header = _header(env, "BELEGSYNC_PROXY_HEADER", "X-Forwarded-Proto")
    origins = _list(env, "BELEGSYNC_CSRF_TRUSTED_ORIGINS", "")
    if https:
        # the forms post back to the host they came from: trust exactly those, by https
        origins += tuple(_https_origin(host) for host in hosts if host != "*")
    return {
        "allowed_hosts": hosts,
        "csrf_trusted_origins": tuple(dict.fromkeys(origins)),
        "https": https,
        "proxy_header": header,
        "hsts_seconds": _seconds(env, "BELEGSYNC_HSTS_SECONDS", 31_536_000, 0) if https else 0,
        **_client_ip(env),
    }


def _header(env: Mapping[str, str], name: str, example: str) -> str:
    header = env.get(name, "").strip()
    if header and not re.fullmatch(r"[A-Za-z0-9-]+", header):
        raise ConfigurationError(f"{name}={header!r} is not a header name; use e.g. {example}.")
    return header


def _client_ip(env: Mapping[str, str]) -> dict[str, object]:
    """Where login throttling finds the visitor's address behind a proxy."""
    header = _header(env, "BELEGSYNC_CLIENT_IP_HEADER", "X-Forwarded-For")
    if env.get("BELEGSYNC_TRUSTED_PROXIES", "").strip() and not header:
        raise ConfigurationError(
            "BELEGSYNC_TRUSTED_PROXIES is set without BELEGSYNC_CLIENT_IP_HEADER; "
            "name the header the proxies write the address into."
        )
    proxies = _seconds(env, "BELEGSYNC_TRUSTED_PROXIES", 1, 1, "proxies")
    return {"client_ip_header": header, "trusted_proxies": proxies}


def _mail(env: Mapping[str, str]) -> dict[str, object]:
    """Django's mail settings from BELEGSYNC_SMTP_*; no host: no mail is sent."""
    host = env.get("BELEGSYNC_SMTP_HOST", "").strip()
    hour = _seconds(env, "BELEGSYNC_DIGEST_HOUR", 7, 0, "hours")
    if hour > 23:
        raise ConfigurationError(f"BELEGSYNC_DIGEST_HOUR={hour} is not an hour (0–23).")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": host,
        "EMAIL_PORT": _seconds(env, "BELEGSYNC_SMTP_PORT", 25, 1, "port"),
        "EMAIL_HOST_USER": env.get("BELEGSYNC_SMTP_USER", ""),
        "EMAIL_HOST_PASSWORD": env.get("BELEGSYNC_SMTP_PASSWORD", ""),
        "EMAIL_USE_TLS": _bool(env, "BELEGSYNC_SMTP_STARTTLS", False),
        "EMAIL_USE_SSL": _bool(env, "BELEGSYNC_SMTP_SSL", False),
        "EMAIL_TIMEOUT": 20,
        "DEFAULT_FROM_EMAIL": env.get("BELEGSYNC_MAIL_FROM", "").strip() or "belegsync@localhost",
        "BELEGSYNC_NOTIFY_BY_MAIL": bool(host),
        "BELEGSYNC_MAIL_LANGUAGE": env.get("BELEGSYNC_MAIL_LANGUAGE", "").strip() or "de",
        "BELEGSYNC_DIGEST_HOUR": hour,
    }


def _https_origin(host: str) -> str:
    # ".example.com" in ALLOWED_HOSTS means the domain and every subdomain
    return f"https://*{host}" if host.startswith(".") else f"https://{host}"


def _check_remotes(env: Mapping[str, str]) -> None:
    """The operator's other addresses of remote systems (read by the clients, egress.py)."""
    try:
        egress.parse(env.get(egress.ENV, ""))
    except ValueError as exc:
        raise ConfigurationError(
            f"{egress.ENV}: {exc}; use system=URL entries separated by commas, e.g. "
            "billbee=http://127.0.0.1:8001."
        ) from exc


def _public_url(env: Mapping[str, str]) -> str:
    """belegsync's own address as the internet reaches it (behind the proxy), for webhooks."""
    raw = env.get("BELEGSYNC_PUBLIC_URL", "").strip()
    if not raw:
        return ""
    try:
        egress.Base.of(raw)
    except ValueError as exc:
        raise ConfigurationError(
            f"BELEGSYNC_PUBLIC_URL: {exc}; use the address Billbee reaches belegsync at, "
            "e.g. https://belegsync.example.com."
        ) from exc
    return raw.rstrip("/")


def _seconds(
    env: Mapping[str, str], name: str, default: int, minimum: int, unit: str = "seconds"
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigurationError(f"{name}={raw!r} is not a number of {unit} of at least {minimum}.")
    return value


def _engine(env: Mapping[str, str], redis_url: str) -> dict[str, object]:
    """The sync engine's block: shared limiter and leases."""
    limiter = env.get("BELEGSYNC_SHARED_LIMITER", "").strip() or "database"
    if limiter not in SHARED_LIMITERS:
        raise ConfigurationError(
            f"BELEGSYNC_SHARED_LIMITER={limiter!r} is unknown; use one of "
            f"{', '.join(SHARED_LIMITERS)}."
        )
    if limiter == "redis" and not redis_url:
        raise ConfigurationError("BELEGSYNC_SHARED_LIMITER=redis needs BELEGSYNC_REDIS_URL.")
    lease = _seconds(env, "BELEGSYNC_LEASE_SECONDS", 300, 1)
    cycle_lease = _seconds(env, "BELEGSYNC_CYCLE_LEASE_SECONDS", 600, 1)
    return {
        "shared_limiter": limiter,
        "lease_seconds": lease,
        "cycle_lease_seconds": cycle_lease,
        "pause_after_failed_cycles": _seconds(
            env, "BELEGSYNC_PAUSE_AFTER_FAILED_CYCLES", 5, 1, "cycles"
        ),
    }


def _time_zone(env: Mapping[str, str]) -> str:
    name = env.get("BELEGSYNC_TIME_ZONE", "").strip() or "Europe/Berlin"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"BELEGSYNC_TIME_ZONE={name!r} is not a time zone; use a name like Europe/Berlin."
        ) from exc
    return name
