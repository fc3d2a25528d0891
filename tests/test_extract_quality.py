"""Quality gate: extraction F1 on the scrapinghub benchmark's dev pages stays above its floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.evaluate.extraction import LabelledPage, load_pages, page_scores, score
from storyline.extract import extract_page
from storyline.parse.decode import decode_text
from tests.conftest import CORPORA

FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))
BENCHMARK = CORPORA / "extraction" / "scrapinghub-dev"


@pytest.fixture(scope="module")
def pages() -> list[LabelledPage]:
    if not (BENCHMARK / "ground-truth.json").is_file():
        pytest.fail(f"the extraction benchmark is missing at {BENCHMARK} (data/corpora in the repository)")
    return list(load_pages(BENCHMARK))


def _ours(page: LabelledPage) -> str:
    return extract_page(decode_text(page.html, page.key, html=True), origin=page.key).text


@pytest.mark.timeout(600)
def test_extraction_f1_is_at_or_above_its_floor(pages: list[LabelledPage]) -> None:
    import trafilatura

    ours = score(pages, _ours)
    alone = score(pages, lambda page: trafilatura.extract(page.html) or "")
    # Printed for the record (pytest -s): the gate and the reference measured in one run.
    print(f"\nstoryline   P={ours.precision:.4f} R={ours.recall:.4f} F1={ours.f1:.4f}")
    print(f"trafilatura P={alone.precision:.4f} R={alone.recall:.4f} F1={alone.f1:.4f}")
    assert len(pages) == 92
    assert ours.f1 >= FLOORS["extraction_scrapinghub_dev_f1"], (
        f"extraction F1 {ours.f1:.4f} fell below the floor {FLOORS['extraction_scrapinghub_dev_f1']}"
    )


def test_metric_matches_the_benchmark_definition() -> None:
    assert page_scores("", "") == (1.0, 1.0)
    assert page_scores("one two three four", "") == (0.0, 0.0)
    precision, recall = page_scores("a b c d e", "a b c d x y")
    assert precision == 0.5  # shingles (a b c d), (b c d e): one of two is right
    assert recall == pytest.approx(1 / 3)
