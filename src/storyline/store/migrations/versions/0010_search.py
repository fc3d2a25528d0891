"""Search: a full-text index of articles' titles and texts, kept in step with articles by triggers.

SQLite: an FTS5 table over ``articles`` (external content: the words are indexed, the text is
not stored twice), Porter-stemmed, diacritics folded; triggers index each insert, re-index an
edit of the title or text, and drop a deleted article. PostgreSQL: ``article_search`` holds a
``tsvector`` per article (title weighted A, text B, English configuration, GIN index), written
by a trigger on ``articles``. Both are backfilled here from the articles already stored.

Neither is in ``schema.metadata`` (``schema.SEARCH_TABLES`` names them, and the schema
comparison leaves them out): SQLAlchemy cannot declare a virtual table, nor one that exists
on one backend only. A later migration that rebuilds ``articles`` in batch mode on SQLite
drops its triggers and must create them again.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# PostgreSQL refuses a tsvector over 1 MB: the first 300,000 characters of a text are indexed there.
PG_TEXT_CHARS = 300_000

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE article_search USING fts5(title, text, content='articles', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "INSERT INTO article_search(article_search) VALUES ('rebuild')",
    "CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO article_search(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO article_search(article_search, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "END",
    "CREATE TRIGGER article_search_update AFTER UPDATE OF title, text ON articles "
    "WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN "
    "INSERT INTO article_search(article_search, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO article_search(rowid, title, text) VALUES (new.id, new.title, new.text); END",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS article_search_update",
    "DROP TRIGGER IF EXISTS article_search_delete",
    "DROP TRIGGER IF EXISTS article_search_insert",
    "DROP TABLE IF EXISTS article_search",
]

_PG_VECTOR = ("setweight(to_tsvector('english', coalesce({row}.title, '')), 'A') || "
              f"setweight(to_tsvector('english', left({{row}}.text, {PG_TEXT_CHARS})), 'B')")
_PG_UP = [
    "CREATE TABLE article_search (article_id integer NOT NULL, vector tsvector NOT NULL, "
    "CONSTRAINT pk_article_search PRIMARY KEY (article_id), "
    "CONSTRAINT fk_article_search_article_id_articles FOREIGN KEY (article_id) REFERENCES articles (id) "
    "ON DELETE CASCADE)",
    "CREATE INDEX ix_article_search_vector ON article_search USING gin (vector)",
    "CREATE FUNCTION article_search_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO article_search (article_id, vector) VALUES (NEW.id, " + _PG_VECTOR.format(row="NEW") + ") "
    "ON CONFLICT (article_id) DO UPDATE SET vector = EXCLUDED.vector; RETURN NULL; END $$",
    "CREATE TRIGGER article_search_insert AFTER INSERT ON articles FOR EACH ROW "
    "EXECUTE FUNCTION article_search_write()",
    "CREATE TRIGGER article_search_update AFTER UPDATE OF title, text ON articles FOR EACH ROW "
    "WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.text IS DISTINCT FROM NEW.text) "
    "EXECUTE FUNCTION article_search_write()",
    "INSERT INTO article_search (article_id, vector) SELECT a.id, " + _PG_VECTOR.format(row="a") + " FROM articles a",
]
_PG_DOWN = [
    "DROP TRIGGER IF EXISTS article_search_update ON articles",
    "DROP TRIGGER IF EXISTS article_search_insert ON articles",
    "DROP FUNCTION IF EXISTS article_search_write()",
    "DROP TABLE IF EXISTS article_search",
]


def upgrade() -> None:
    for statement in _PG_UP if op.get_bind().dialect.name == "postgresql" else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _PG_DOWN if op.get_bind().dialect.name == "postgresql" else _SQLITE_DOWN:
        op.execute(statement)
