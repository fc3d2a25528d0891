"""Alembic migrations of the store, numbered ``NNNN_what.py`` in ``versions/``."""
