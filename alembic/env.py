"""Alembic environment: the app's tables and DATABASE_URL (or a given connection)."""

from alembic import context
from sqlmodel import SQLModel

import marketplace_app.models  # noqa: F401  (registers the tables)
from marketplace_app.db import get_engines
from marketplace_app.migrations import compare_type, include_name

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    from marketplace_app.settings import settings

    context.configure(
        url=settings.database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against ``config.attributes['connection']`` or DATABASE_URL's engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_name=include_name,
            compare_type=compare_type,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    with get_engines()[1].connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_name=include_name,
            compare_type=compare_type,
        )
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
