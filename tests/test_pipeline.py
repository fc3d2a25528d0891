"""pipeline.prepare_many: one item's failure, expected or not, never takes its batch with it."""

from __future__ import annotations

import pytest

from storyline import pipeline
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
    results = pipeline.prepare_many(items)
    assert [type(r).__name__ for r in results] == ["list", "ItemFailure", "list", "ItemFailure"]
    crash, empty = results[1], results[3]
    assert isinstance(crash, ItemFailure)
    assert isinstance(empty, ItemFailure)
    assert (crash.origin, crash.reason) == ("feed#2", "an unexpected error in Storyline (KeyError: 'missing')")
    assert empty.origin == "feed#4"
    assert "empty" in empty.reason
    assert [r[0].article.title for r in (results[0], results[2]) if isinstance(r, list)] == ["Budget 1", "Budget 3"]
