"""One ingest path: the batch commands and gates run the stages live ingest runs, in the written order."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from storyline.app import Record, Storyline, cluster_records
from storyline.config import Settings
from storyline.ingest import pipeline
from storyline.ingest.runner import Ingest
from storyline.normalize import canonical_url
from tests.test_stories import event_records, import_records

SRC = Path(__file__).resolve().parents[1] / "src" / "storyline"


def _partition(story_of: dict[str, int]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for key, story in story_of.items():
        groups.setdefault(story, set()).add(key)
    return {frozenset(g) for g in groups.values()}


def test_the_batch_command_and_live_ingest_give_the_same_stories(app: Storyline, settings: Settings,
                                                                   tmp_path: Path) -> None:
    records = event_records(per_event=5)
    import_records(app, tmp_path, records)
    live = {}
    for r in records:
        stored = app.store.get_article_by_url(canonical_url(r["url"]))
        assert stored is not None
        live[r["id"]] = app.store.stories_of([stored.id])[stored.id]
    batch = cluster_records(settings, [Record(r["id"], r["title"], r["text"], datetime.fromisoformat(r["published"]),
                                              r["url"], r["source"]) for r in records])
    assert _partition(batch.story_of) == _partition(live)
    # Three events, and the stories found are not trivially one or all-alone.
    assert 2 <= len(_partition(live)) < len(records)


def test_the_app_runs_the_stored_stages_in_the_written_order(app: Storyline) -> None:
    assert [stage.name for stage in app.ingest.stages] == [name for name, _, _ in pipeline.STORED_STAGES]
    assert [name for name, _, _ in pipeline.STORED_STAGES][:2] == ["copies", "stories"]


def test_a_stage_the_settings_turn_off_does_not_run(app: Storyline, settings: Settings) -> None:
    import dataclasses

    ingest = Ingest(app.store, dataclasses.replace(settings, stories=False))
    assert [stage.name for stage in ingest.stages] == ["copies", "entities", "summaries"]  # key points only


def test_interfaces_never_query_the_store() -> None:
    # import-linter keeps web, API and CLI from importing the store; this keeps them from
    # reaching it through the application object's attribute.
    offenders = [f"{path.relative_to(SRC)}:{n}" for folder in ("web", "api", "cli")
                 for path in sorted((SRC / folder).rglob("*.py"))
                 for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if re.search(r"\.store\b", line)]
    assert offenders == []
