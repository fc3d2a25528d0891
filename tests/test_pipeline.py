"""The per-item stages (``ingest.prepare``): failures per item, and the signatures made for the copies stage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyline.dedupe import signature
from storyline.ingest import pipeline
from storyline.ingest.copies import CopyStage
from storyline.ingest.items import NewArticle
from storyline.ingest.prepare import prepare_many
from storyline.store import open_store
from storyline.types import ItemFailure, RawItem

_PARAGRAPH = "<p>The council met on Tuesday to agree the budget for the coming year, officials said.</p>"


def test_an_unexpected_error_in_a_stage_fails_only_its_item(monkeypatch: pytest.MonkeyPatch) -> None:
    extract = pipeline.EXTRACT

    def buggy(item: RawItem):  # a stage with a bug that only this item reaches
        if item.origin == "feed#2":
            raise KeyError("missing")
        return extract(item)

    monkeypatch.setattr(pipeline, "EXTRACT", buggy)
    items = [RawItem(origin=f"feed#{n}", title=f"Budget {n}", html=_PARAGRAPH * 3, html_is_fragment=True,
                     url=f"https://example.org/{n}") for n in range(1, 4)]
    items.append(RawItem(origin="feed#4", html="", html_is_fragment=True))
    results = prepare_many(items)
    assert [type(r).__name__ for r in results] == ["list", "ItemFailure", "list", "ItemFailure"]
    crash, empty = results[1], results[3]
    assert isinstance(crash, ItemFailure)
    assert isinstance(empty, ItemFailure)
    assert (crash.origin, crash.reason) == ("feed#2", "an unexpected error in Storyline (KeyError: 'missing')")
    assert empty.origin == "feed#4"
    assert "empty" in empty.reason
    assert [r[0].article.title for r in (results[0], results[2]) if isinstance(r, list)] == ["Budget 1", "Budget 3"]


def _wire_story_items() -> list[RawItem]:
    from tests.test_copies import _records

    return [RawItem(origin=f"feed#{n}", title=str(r["title"]), html=f"<p>{r['text']}</p>".replace("\n\n", "</p><p>"),
                    html_is_fragment=True, url=str(r["url"]), outlet=str(r["source"]))
            for n, r in enumerate(_records())]


def test_prepared_articles_carry_the_signature_the_duplicates_stage_would_make() -> None:
    results = prepare_many(_wire_story_items())
    prepared = [p for r in results if isinstance(r, list) for p in r]
    assert len(prepared) == 4
    for p in prepared:
        assert p.signature is not None
        expected = signature(p.article.text)
        assert (p.signature.words, p.signature.shingles) == (expected.words, expected.shingles)
        assert np.array_equal(p.signature.values, expected.values)
        assert np.array_equal(p.signature.openings, expected.openings)


def test_copies_fold_the_same_with_signatures_made_in_the_worker(tmp_path: Path) -> None:
    prepared = [p for r in prepare_many(_wire_story_items()) if isinstance(r, list) for p in r]
    groups = []
    for name, given in (("given", True), ("signed-here", False)):
        store = open_store(f"sqlite:///{tmp_path / name}.db")
        results = store.upsert_articles([p.article for p in prepared])
        CopyStage(store).process([NewArticle(r.article_id, p.article, p.signature if given else None)
                                  for r, p in zip(results, prepared, strict=True)])
        groups.append([[a.outlet for a in store.group_members(r.article_id)] for r in results])
        store.close()
    assert groups[0] == groups[1]
    assert groups[0][0] == ["AFP", "Business Recorder", "Dawn"]  # the wire story and its copies; the budget alone
    assert groups[0][3] == []
