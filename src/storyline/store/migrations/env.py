"""Alembic environment: runs on the connection Storyline hands over (never an ini file)."""

from alembic import context

from storyline.store.schema import include_name, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    include_name=include_name,  # the full-text index is not declarable (migration 0010)
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
)
with context.begin_transaction():
    context.run_migrations()
