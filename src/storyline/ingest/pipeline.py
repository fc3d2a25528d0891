"""The order of Storyline's stages, written once.

Every way an article enters Storyline runs this order: live refresh of sources, ``storyline
import``, ``storyline reprocess``, the batch commands (``storyline dedupe``, ``storyline
cluster``, ``storyline eval clustering``), the quality gates, the benches and the model-fitting
script. Nobody else strings stages together.

::

    fetch      source -> FetchResult: conditional GET, politeness, guards  storyline.fetch     (ingest.refresh)
    parse      document or file -> RawItem                                  storyline.parse
    -- per item, pure, in a worker process (``ingest.prepare``) ---------------------------------------------
    extract    RawItem -> ExtractedArticle: HTML to text and metadata       EXTRACT
               (an aggregator page also yields its related articles: each goes on alone)
    normalize  -> Article: canonical URL, clean text, UTC, content hash     ARTICLE_STAGES
    entities   -> people, organisations, places, merged and typed            storyline.entities
    quotes     -> direct quotes, their speakers resolved to the entities      storyline.quotes
    key points -> the article's three most central sentences, cited           storyline.summarize
               (per-article enrichment that needs only the article plugs in after normalize)
    -- once per batch, in the process that owns the store (``ingest.runner``) -----------------------------
    store      Article -> stored row, idempotent by canonical URL, page kept for reprocess
    copies     new article -> its group of copies (agency credited)        STORED_STAGES
    stories    new article -> embedded, then into a story (copies follow their original)
    entities   the article's entities joined to the archive's (one "Vladimir Putin" across
               articles), its entities and quotes stored; also for articles whose text changed
               (``RevisingStage``: a publisher's edit, ``storyline reprocess``)
    summaries  key points stored; each story its new articles joined summarised again (cited
               sentences) with its timeline (what each report added)

Ordering rules: normalize before anything that compares articles (canonical URLs, clean
text); entities after normalize (offsets into the clean text), quotes after entities (a
speaker is one of the article's entities); store before the stored stages (they need ids and
earlier articles); copies before stories (a copy joins its original's story without being
embedded).

Why entities and quotes are per-article stages and not stored ones: they need only the
article's own text and cost milliseconds of CPU each, so they run where the article is
prepared, in the worker processes that extract feeds in parallel, and not in the one process
that owns the store (the bottleneck of ingest). What needs the archive, joining an article's
"Putin" to the "Vladimir Putin" of earlier articles, is the small stored ``entities`` stage.

A stored stage is a package plus one line in ``STORED_STAGES``: a class built from the store
and the settings (``StoredStage``), given each batch of newly stored articles in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from storyline import entities, extract, normalize, quotes, summarize
from storyline.config import Settings
from storyline.ingest.copies import CopyStage
from storyline.ingest.entities import EntityStage
from storyline.ingest.items import NewArticle
from storyline.ingest.stories import StoryStage
from storyline.ingest.summaries import SummaryStage
from storyline.store import Store
from storyline.types import ExtractedArticle, RawItem

__all__ = ["ARTICLE_STAGES", "EXTRACT", "STORED_STAGES", "RevisingStage", "StoredStage"]

Stage = Callable[[Any], Any]

EXTRACT: Callable[[RawItem], ExtractedArticle] = extract.extract_article
ARTICLE_STAGES: tuple[Stage, ...] = (
    normalize.normalize_article,  # ExtractedArticle -> Article
    entities.tag_entities,  # Article -> Article with its entities
    quotes.tag_quotes,  # Article -> Article with its quotes (reads its entities)
    summarize.tag_key_points,  # Article -> Article with its three key points
)


class StoredStage(Protocol):
    """A stage that runs on stored articles: it keeps state across batches (an index, a clusterer)."""

    name: str

    def process(self, new: Sequence[NewArticle]) -> None:
        """Take the articles a batch inserted, in arrival order (work may finish in the background)."""
        ...

    def drain(self) -> None:
        """Return once every article given so far is done."""
        ...

    def close(self) -> None:
        """Finish, save what must survive a restart, and release resources."""
        ...


@runtime_checkable
class RevisingStage(Protocol):
    """A stored stage whose results follow the article's text: it also takes articles whose text changed."""

    def revise(self, changed: Sequence[NewArticle]) -> None:
        """Redo the articles a batch updated (a publisher's edit; every re-extracted page in ``reprocess``)."""
        ...


# Built in this order and given each batch in this order. ``enabled`` says whether the
# settings turn a stage on (stories embed every article: a user may switch them off).
StageFactory = Callable[[Store, Settings], StoredStage]
STORED_STAGES: tuple[tuple[str, StageFactory, Callable[[Settings], bool]], ...] = (
    ("copies", CopyStage.from_settings, lambda settings: True),
    ("stories", StoryStage.from_settings, lambda settings: settings.stories),
    ("entities", EntityStage.from_settings, lambda settings: True),
    ("summaries", SummaryStage.from_settings, lambda settings: True),
)
