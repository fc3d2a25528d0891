"""The per-item stages (``pipeline.EXTRACT``, then ``pipeline.ARTICLE_STAGES``), pure and picklable.

This is what a worker process runs for a feed: no store, no shared state. Failures come
back as values, one per item, so one bad item never costs its feed's other items.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from storyline import parse
from storyline.dedupe import signatures
from storyline.errors import ExtractError, InputError, StorylineError
from storyline.ingest import pipeline
from storyline.ingest.items import Prepared, PreparedArticle
from storyline.types import ExtractedArticle, ItemFailure, RawItem

__all__ = ["analyze_paths", "extract_paths", "prepare_item", "prepare_many"]

log = structlog.get_logger(__name__)


def prepare_item(item: RawItem) -> list[PreparedArticle]:
    """Run ``item`` through the per-item stages: its article first, then related ones found with it."""
    extracted = pipeline.EXTRACT(item)
    prepared = []
    for index, found in enumerate((extracted, *extracted.related)):
        record: Any = dataclasses.replace(found, related=()) if found.related else found
        for stage in pipeline.ARTICLE_STAGES:
            record = stage(record)
        # Only the page's own article was extracted from its HTML.
        page_html = item.html if index == 0 and not item.html_is_fragment else None
        prepared.append(PreparedArticle(found.origin if index == 0 else f"{item.origin} (related {index})",
                                        record, page_html, item.guid if index == 0 else None))
    return prepared


def prepare_many(items: Sequence[RawItem]) -> list[Prepared]:
    """``prepare_item`` over a batch, failures as values: runs in a worker process (picklable in and out).

    The articles are signed for the copies stage here too, in one batch: the process that
    stores them (one for all feeds) then only looks them up.
    """
    results: list[Prepared] = []
    for item in items:
        try:
            results.append(prepare_item(item))
        except StorylineError as exc:
            reason = f"{exc.message}. {exc.hint}" if exc.hint else exc.message
            results.append(ItemFailure(origin=item.origin, reason=reason))
        except Exception as exc:  # a bug a stage let out: this item fails, its feed's other items go on
            log.exception("item_prepare_crashed", origin=item.origin)
            results.append(ItemFailure(origin=item.origin,
                                       reason=f"an unexpected error in Storyline ({type(exc).__name__}: {exc})"))
    return _signed(results)


def _signed(results: list[Prepared]) -> list[Prepared]:
    prepared = [p for result in results if not isinstance(result, ItemFailure) for p in result]
    if not prepared:
        return results
    try:
        signed = iter(signatures([p.article.text for p in prepared]))
    except Exception:  # the copies stage signs them itself, as for files
        log.exception("signing_failed", items=len(prepared))
        return results
    return [result if isinstance(result, ItemFailure)
            else [dataclasses.replace(p, signature=next(signed)) for p in result] for result in results]


def extract_paths(
    paths: Sequence[Path], *, captured_at: datetime | None = None
) -> Iterable[ExtractedArticle | InputError | ExtractError]:
    """Extraction alone, no store: one result or error per item in the files (``storyline extract``)."""
    for entry in parse.find_input_files(paths):
        if isinstance(entry, InputError):
            yield entry
            continue
        try:
            for item in parse.read_file(entry):
                if isinstance(item, InputError):
                    yield item
                    continue
                if captured_at is not None:
                    item = dataclasses.replace(item, captured_at=captured_at)
                try:
                    yield pipeline.EXTRACT(item)
                except ExtractError as exc:
                    yield exc
        except InputError as exc:
            yield exc


def analyze_paths(paths: Sequence[Path]) -> Iterable[PreparedArticle | StorylineError]:
    """The per-item stages alone, no store: each article of the files (related ones too) or an error per item.

    What ``storyline analyze`` prints: the articles' entities and quotes as the stages found them.
    """
    for entry in parse.find_input_files(paths):
        if isinstance(entry, InputError):
            yield entry
            continue
        try:
            for item in parse.read_file(entry):
                if isinstance(item, InputError):
                    yield item
                    continue
                try:
                    yield from prepare_item(item)
                except StorylineError as exc:
                    yield exc
        except InputError as exc:
            yield exc
