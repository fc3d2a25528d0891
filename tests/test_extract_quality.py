"""Quality gate: extraction F1 on the gate part of the scrapinghub benchmark's dev pages.

The 92 pages are cut by ``storyline.evaluate.splits.extraction_part`` (a hash of the page key):
extraction decisions are measured and tuned on the fit part (61 pages), the floor is pinned on
the gate part (31 pages) only. Both parts are printed (pytest -s), the fit part for reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.evaluate.extraction import LabelledPage, load_pages, page_scores, score
from storyline.evaluate.splits import extraction_part
from storyline.extract import extract_page
from storyline.parse.decode import decode_text
from tests.conftest import CORPORA

FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))["floors"]
BENCHMARK = CORPORA / "extraction" / "scrapinghub-dev"


@pytest.fixture(scope="module")
def pages() -> list[LabelledPage]:
    if not (BENCHMARK / "ground-truth.json").is_file():
        pytest.fail(f"the extraction benchmark is missing at {BENCHMARK} (data/corpora in the repository)")
    return list(load_pages(BENCHMARK))


def _ours(page: LabelledPage) -> str:
    return extract_page(decode_text(page.html, page.key, html=True), origin=page.key).text


@pytest.mark.timeout(600)
def test_extraction_f1_on_the_gate_part_is_at_or_above_its_floor(pages: list[LabelledPage]) -> None:
    import trafilatura

    assert len(pages) == 92
    gate = [p for p in pages if extraction_part(p.key) == "gate"]
    fit = [p for p in pages if extraction_part(p.key) == "fit"]
    assert (len(fit), len(gate)) == (61, 31)
    ours = score(gate, _ours)
    alone = score(gate, lambda page: trafilatura.extract(page.html) or "")
    reference = score(fit, _ours)
    # Printed for the record (pytest -s): the gate, trafilatura on it, and the fit part for reference.
    print(f"\nstoryline   gate ({ours.pages} pages) P={ours.precision:.4f} R={ours.recall:.4f} F1={ours.f1:.4f}")
    print(f"trafilatura gate ({alone.pages} pages) P={alone.precision:.4f} R={alone.recall:.4f} F1={alone.f1:.4f}")
    print(f"storyline   fit  ({reference.pages} pages) P={reference.precision:.4f} R={reference.recall:.4f} "
          f"F1={reference.f1:.4f}")
    floor = FLOORS["extraction_scrapinghub_gate_f1"]["value"]
    assert ours.f1 >= floor, f"extraction F1 on the gate part {ours.f1:.4f} fell below the floor {floor}"


def test_metric_matches_the_benchmark_definition() -> None:
    assert page_scores("", "") == (1.0, 1.0)
    assert page_scores("one two three four", "") == (0.0, 0.0)
    precision, recall = page_scores("a b c d e", "a b c d x y")
    assert precision == 0.5  # shingles (a b c d), (b c d e): one of two is right
    assert recall == pytest.approx(1 / 3)
