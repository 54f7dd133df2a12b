"""Apply the Alembic migrations and compare the migrated schema with the models.

The app calls :func:`upgrade` at start (through ``cli migrate``); a unit test
calls :func:`pending_changes` to prove the models and the migrations agree.
This module never imports reflex.
"""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Integer, MetaData
from sqlmodel import SQLModel

import marketplace_app.models  # noqa: F401  (registers the tables)
from marketplace_app.db import get_engines
from marketplace_app.settings import PROJECT_DIR

ALEMBIC_INI = PROJECT_DIR / "alembic.ini"
ALEMBIC_DIR = PROJECT_DIR / "alembic"

# The search index (services/search.py) is built by a migration but described
# by no model: its table, FTS5's shadow tables of it on SQLite, and indexes
# named ix_search_* on the listings table.
SEARCH_TABLE = "listing_search"
SEARCH_SHADOW_TABLES = frozenset(
    f"{SEARCH_TABLE}_{suffix}" for suffix in ("data", "idx", "content", "docsize", "config")
)
SEARCH_INDEX_PREFIX = "ix_search_"


def is_search_index(name: str | None, type_: str) -> bool:
    """Whether a database object belongs to the search index, not to the models.

    Args:
        name: the object's name as reflected.
        type_: Alembic's kind of object ("table", "index", "column", ...).

    Returns:
        True for the search table and its shadow tables, and ``ix_search_*`` indexes.
    """
    if name is None:
        return False
    if type_ == "table":
        return name == SEARCH_TABLE or name in SEARCH_SHADOW_TABLES
    if type_ == "index":
        return name.startswith(SEARCH_INDEX_PREFIX)
    return False


def include_name(name: str | None, type_: str, _parent_names: dict) -> bool:
    """Alembic's ``include_name`` hook: everything except the search index."""
    return not is_search_index(name, type_)


def compare_type(context, _inspected_column, _metadata_column, inspected_type, metadata_type):
    """Alembic's ``compare_type`` hook: on SQLite, INTEGER and BIGINT are the same column.

    SQLite stores every integer in up to 64 bits whatever the declared type, so
    the money migration leaves its INTEGER columns as they are (rebuilding a
    table to rename a type would gain nothing). Everything else is compared as
    Alembic does by default.

    Returns:
        False (no change) for that pair on SQLite; None (Alembic decides) otherwise.
    """
    if (
        context.dialect.name == "sqlite"
        and inspected_type._type_affinity is Integer
        and metadata_type._type_affinity is Integer
    ):
        return False
    return None


def alembic_config() -> Config:
    """The project's Alembic configuration, independent of the working directory.

    Returns:
        An Alembic ``Config`` reading ``alembic.ini`` with the script location
        pinned to the project's ``alembic/`` folder.
    """
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Apply the migrations up to head (or up to ``revision``).

    The connection comes from the app's write engine for ``url`` (on SQLite its
    transactions start with ``BEGIN IMMEDIATE``), handed to ``alembic/env.py``
    through ``config.attributes["connection"]``.

    Args:
        url: A SQLAlchemy URL; defaults to the configured DATABASE_URL.
        revision: the revision to stop at (tests of data migrations).
    """
    engine = get_engines(url)[1]
    config = alembic_config()
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table (copy, drop, rename): with foreign
            # keys on, dropping a table other rows refer to fails. The pragma
            # only takes effect outside a transaction, so it goes to the driver.
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
            broken = raw.execute("PRAGMA foreign_key_check").fetchall() if sqlite else []
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"migrations left rows with broken foreign keys: {broken[:5]}")


def make_revision(message: str, url: str | None = None) -> None:
    """Write a new migration for what the models add to the migrated database.

    Unlike ``reflex db makemigrations``, this leaves the search index's own
    tables and indexes alone (:func:`is_search_index`). Read the file it
    writes: Alembic does not see CHECK constraints.

    Args:
        message: What changed, used in the revision's file name.
        url: A SQLAlchemy URL; defaults to the configured DATABASE_URL.
    """
    upgrade(url)
    engine = get_engines(url)[1]
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def pending_changes(url: str | None = None, metadata: MetaData | None = None) -> list:
    """List what differs between the models and the migrated database.

    An empty list means the migrations build the tables, columns (types and
    nullability), indexes, unique and foreign key constraints the models
    declare. Alembic does not compare CHECK constraints or server defaults.

    Args:
        url: A SQLAlchemy URL; defaults to the configured DATABASE_URL.
        metadata: The models to compare; defaults to ``SQLModel.metadata``.

    Returns:
        Alembic autogenerate diffs (tuples, or lists of tuples for column
        modifications). Only the search index's own objects are left out
        (:func:`is_search_index`), and INTEGER vs BIGINT on SQLite
        (:func:`compare_type`); nothing else is filtered: a wider filter keyed
        on SQLite affinity would also hide real changes such as a VARCHAR length.
    """
    target = SQLModel.metadata if metadata is None else metadata
    engine = get_engines(url)[0]
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": compare_type,
                "compare_server_default": False,
                "render_as_batch": True,
                "target_metadata": target,
                "include_name": include_name,
            },
        )
        diffs = compare_metadata(context, target)
        connection.rollback()
    return diffs
