"""Factories of a run's resources, built from :class:`~tasks.settings.Settings` when a step needs them.

The one place where secrets are resolved (from the environment or a Prefect Secret block) and where
warehouse engines and sources are opened. Nothing here runs at import time; the Prefect steps
(``flows/steps``) and the command line call these per run, and dispose of what they get.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr

from tasks import glossary as gl
from tasks.addresses import MASK, SECRET_QUERY_KEYS, shown
from tasks.settings import Settings
from tasks.sources.base import Source, is_api, make_source
from tasks.sources.contract import SourceName
from tasks.sources.http_source import HttpOptions
from tasks.warehouse.engine import make_engine, warehouse_url
from tasks.warehouse.migrate import selfeval_revision, upgrade


def secret(value: SecretStr | None, block: str | None = None) -> str | None:
    """A secret's value: from the setting when set, else from the named Prefect Secret block, else None."""
    if value is not None:
        return value.get_secret_value()
    if block:
        from prefect.blocks.system import Secret

        loaded: Any = Secret.load(block)
        return str(loaded.get())
    return None


def warehouse_password(settings: Settings) -> str | None:
    """The warehouse password from the environment, or else from the named Prefect Secret block."""
    return secret(settings.warehouse_password, settings.warehouse_password_block)


def engine_for(settings: Settings, *, migrate: bool = False, read_only: bool = False) -> sa.Engine:
    """An engine on the configured warehouse. The schema is migrated once per run, by the run's
    first step (``migrate_warehouse``); pass ``migrate=True`` where no run has prepared it. ``read_only``:
    for readers that run side by side (renders): DuckDB opens its file read-only, which processes may share."""
    return make_engine(warehouse_url(settings.warehouse_url, warehouse_password(settings)), migrate=migrate,
                       memory_limit=settings.warehouse_memory_limit, read_only=read_only)


def migrate_warehouse(settings: Settings) -> None:
    """Bring the configured warehouse to the current schema (a no-op when it is)."""
    engine = engine_for(settings)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def api_token(settings: Settings, name: str) -> str | None:
    """The source's own token, else the shared one, else the shared Prefect Secret block's."""
    own = getattr(settings, f"{name}_api_token", None)
    return secret(own) or secret(settings.api_token, settings.api_token_block)


@contextmanager
def opened(settings: Settings, name: SourceName) -> Iterator[Source]:
    """The source ``name`` ("finance", "statistics", "registry") as configured, closed on exit."""
    location = settings.location(name)
    token = api_token(settings, name) if is_api(location) else None
    http = HttpOptions(timeout=settings.http_timeout, attempts=settings.http_attempts, backoff=settings.http_backoff,
                       page_size=settings.http_page_size, max_pages=settings.http_max_pages)
    source = make_source(name, location, token=token, http=http, sheets=settings.sheets)
    try:
        yield source
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def is_transient(exc: BaseException) -> bool:
    """A dropped database connection, or another process holding the DuckDB file: worth a retry."""
    if "Could not set lock on file" in str(exc):
        return True
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return bool(getattr(exc, "connection_invalidated", True))
    return False


class WarehouseUnreachable(Exception):
    """The warehouse does not answer (the server is down, the address is wrong, another process holds the
    DuckDB file): said in one line naming the warehouse without its password, not a traceback."""


def unreachable(exc: BaseException, url: str | sa.URL) -> WarehouseUnreachable | None:
    """A database error met after the warehouse answered once (another command took the DuckDB file's lock
    between the check and the migration, a server that went away) as :class:`WarehouseUnreachable`, worded as
    :func:`reach_warehouse` words it; None for any other exception."""
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        reason = " ".join(str(exc.orig or exc).split()).split(" (Background on")[0]
    elif "Could not set lock on file" in str(exc):  # DuckDB's own error, raised through the run database (ATTACH)
        reason = " ".join(str(exc).split())
    else:
        return None
    try:
        parsed = sa.make_url(url) if isinstance(url, str) else url
    except (sa.exc.ArgumentError, ValueError):
        return WarehouseUnreachable(gl.WAREHOUSE_UNREACHABLE.format(url=shown(str(url)), reason=reason, held="",
                                                                    held_en=""))
    held = gl.WAREHOUSE_FILE_HELD if parsed.get_backend_name() == "duckdb" else ("", "")
    return WarehouseUnreachable(gl.WAREHOUSE_UNREACHABLE.format(url=shown_url(parsed), reason=reason, held=held[0],
                                                                held_en=held[1]))




def shown_url(url: sa.URL) -> str:
    """``url`` as a message may show it: the password after the user and any secret query value (``?password=``)
    replaced by ``***``."""
    query = {k: (MASK if k.lower() in SECRET_QUERY_KEYS else v) for k, v in url.query.items()}
    return url.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


# What a PostgreSQL server says when it answers and refuses the connection for good (its messages in English,
# lc_messages C): the database named is not there, or the login is refused. Not worth a retry.
_NO_DATABASE = re.compile(r'database "[^"]*" does not exist')
_LOGIN_REFUSED = re.compile(r'role "[^"]*" does not exist|password authentication failed|no pg_hba\.conf entry|'
                            r"pg_hba\.conf rejects connection|is not permitted to log in|no password supplied|"
                            r"(Peer|Ident) authentication failed|permission denied for database")


def refusal(url: sa.URL, reason: str) -> str | None:
    """The one line for a server that answered and refused for good (``reason``: what it said): no such
    database, or the login refused; None for anything else (not answering, starting up, too many clients)."""
    if _NO_DATABASE.search(reason):
        return gl.WAREHOUSE_NO_DATABASE.format(database=url.database, url=shown_url(url), reason=reason)
    if _LOGIN_REFUSED.search(reason):
        return gl.WAREHOUSE_LOGIN_REFUSED.format(url=shown_url(url), reason=reason)
    return None


SYNC_POSTGRES_DRIVERS = ("psycopg", "psycopg2", "pg8000")  # selfeval's engines are synchronous (psycopg installed)


def address_problem(url: sa.URL) -> str | None:
    """What makes ``url`` no warehouse address, though an engine opens it: a PostgreSQL one that names no database
    (the server would take the one named after the user, ``postgres`` often: its maintenance database), a DuckDB
    one held in memory (each connection a new, empty database), a database other than these two (``mysql://…``:
    an engine may open it, but the warehouse's migrations and SQL are DuckDB's and PostgreSQL's). None for a usable
    one."""
    if url.get_backend_name() not in ("postgresql", "duckdb"):
        return gl.WAREHOUSE_UNSUPPORTED.format(url=shown_url(url), backend=url.get_backend_name())
    if url.get_backend_name() == "postgresql" and url.get_driver_name() not in SYNC_POSTGRES_DRIVERS:
        return gl.WAREHOUSE_ASYNC_DRIVER.format(url=shown_url(url), driver=url.get_driver_name())
    if url.get_backend_name() == "duckdb" and url.host:  # duckdb://tmp/wh.duckdb: "tmp" read as a host
        return gl.WAREHOUSE_DUCKDB_SLASHES.format(url=shown_url(url))
    named = url.database or url.query.get("dbname") or url.query.get("service") or os.environ.get("PGDATABASE") \
        or os.environ.get("PGSERVICE")  # libpq's other ways of naming one
    if url.get_backend_name() == "postgresql" and not named:
        return gl.WAREHOUSE_NO_DATABASE_NAMED.format(url=shown_url(url))
    if url.get_backend_name() == "duckdb" and (not url.database or url.database.startswith(":memory:")):
        return gl.WAREHOUSE_IN_MEMORY.format(url=shown_url(url))
    return None


def new_duckdb_file(url: str) -> Path | None:
    """The file a DuckDB warehouse address names, when no such file exists yet (connecting would make it, empty);
    None for one that exists, an address that is not DuckDB, or one that cannot be read (the address check says
    why)."""
    try:
        parsed = warehouse_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "duckdb" or not parsed.database or parsed.database.startswith(":memory:"):
        return None
    path = Path(parsed.database).resolve()  # as DuckDB opens it (warehouse_url has expanded ~), shown whole
    return None if path.exists() else path


def reach_warehouse(settings: Settings, attempts: int = 3, backoff: float = 1.0, connect: bool = True) -> bool | None:
    """Connect to the configured warehouse once, retrying ``attempts`` times ``backoff``, 2×``backoff``… s
    apart. Raises :class:`WarehouseUnreachable` when it still does not answer, or at once when the address is none
    (:func:`address_problem`: no database named, DuckDB in memory) or the server answered and refused
    (:func:`refusal`: no such database, the login refused) or holds an ``alembic_version`` it cannot migrate from
    (:func:`~tasks.warehouse.migrate.selfeval_revision`: another application's, a newer selfeval's; migrating it
    would end in alembic's traceback). ``connect``
    False: the address only, read without its password (which may be in a Prefect Secret block, read through a
    Prefect server). Returns whether the database holds selfeval's tables (an ``alembic_version`` of selfeval's):
    False when a run would make them there (a new DuckDB file; a database that answers and holds none, a mistyped
    name that exists); None when it was not connected to."""
    try:
        wrong = address_problem(warehouse_url(settings.warehouse_url))  # the password is not needed for it
    except (sa.exc.ArgumentError, ValueError):
        raise WarehouseUnreachable(gl.WAREHOUSE_URL_INVALID.format(url=shown(settings.warehouse_url))) from None
    if wrong is not None:
        raise WarehouseUnreachable(wrong)
    if not connect:
        return None
    for attempt in range(1, attempts + 1):
        try:
            engine = engine_for(settings)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError, ImportError):  # cannot open it here
            raise WarehouseUnreachable(gl.WAREHOUSE_URL_INVALID.format(url=shown(settings.warehouse_url))) from None
        try:
            with engine.connect() as conn:
                ours, unknown = selfeval_revision(conn)
            if unknown is not None:  # upgrading it would end in alembic's traceback
                raise WarehouseUnreachable(gl.WAREHOUSE_FOREIGN.format(url=shown_url(engine.url), revision=unknown))
            return ours
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            reason = " ".join(str(exc.orig or exc).split()).split(" (Background on")[0]
            refused = refusal(engine.url, reason)
            if refused is not None:
                raise WarehouseUnreachable(refused) from None
            if attempt == attempts:
                held = gl.WAREHOUSE_FILE_HELD if engine.dialect.name == "duckdb" else ("", "")
                raise WarehouseUnreachable(gl.WAREHOUSE_UNREACHABLE.format(
                    url=shown_url(engine.url), reason=reason, held=held[0], held_en=held[1])) from None
        finally:
            engine.dispose()
        time.sleep(backoff * 2 ** (attempt - 1))
    raise ValueError(f"attempts must be at least 1, not {attempts}")


def dropped_connection(task: object, task_run: object, state: Any) -> bool:
    """A Prefect ``retry_condition_fn``: retry a step only when the database connection failed, not
    when the data is wrong."""
    try:
        state.result()
    except Exception as exc:
        return is_transient(exc)
    return False
