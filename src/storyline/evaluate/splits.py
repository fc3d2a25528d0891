"""Which part of each labelled set fits or tunes a stage, and which part only a quality gate reads.

Every labelled set is cut once, by fixed rules that never look at a score, into a *fit* part
(models are fitted and thresholds scanned on it) and a *gate* part (only the quality gates in
``tests/`` score it, and their floors in ``tests/floors.json`` are pinned on it). A unit that
must not straddle the cut (one event's reports, one original's copies) is split as a whole.

The rules:

- ``gate_part(key, share=...)``: a key is in the gate when the first 8 bytes of
  ``blake2b(SALT + ":" + key)``, read as a fraction of 2**64, are below ``share``. Stable across
  runs, machines and Python versions; a different share or salt is a different split.
- **ECB+** (``clustering/ecbplus.jsonl``): Barhom et al.'s split as published: topics 36-45
  (``split_barhom == "test"``, 210 documents) are the gate; train and dev (772) are the fit part.
- **Gun violence** (``clustering/gvc-train-dev.jsonl`` and ``clustering/gva-pool-train.jsonl``):
  by incident. The pool holds the GVC reports too, and a few pool reports were filed under two
  incidents (``incident_ids``), so incidents linked by one report form one unit: the unit's
  smallest incident id is hashed as ``"incident:" + id`` with ``INCIDENT_GATE_SHARE``. One
  incident is on the same side in both files, and no report of a gate incident is in a fit part.
- **Duplicates set** (``data/quality/dedupe.jsonl``, field ``event``): by event, so every copy
  of an original and every report of one event sit on one side, and the cut agrees with the
  story sets': an ECB+ event (``ecb-<subtopic>``) is in the gate when its topic is a gate topic,
  a gun-violence event (``gvc-<incident>``, GVC and pool reports) when its incident is, a
  Wikinews article (``wiki-...``, one event each) by ``gate_part("wiki:" + id, share=WIKINEWS_GATE_SHARE)``.
- **Extraction pages** (``extraction/scrapinghub-dev``): by page key,
  ``gate_part("page:" + key, share=EXTRACTION_GATE_SHARE)``.
- **Entities** (``entities/gum-news``, GUM's news documents): by document name,
  ``gate_part("gum:" + name, share=ENTITIES_GATE_SHARE)``.
- **Support** (``data/quality/support.jsonl``): by the incident a record's cited sentences report,
  ``gate_part("support:" + incident, share=SUPPORT_GATE_SHARE)``.
- **Ask a story** (``data/quality/ask.jsonl``): by story, so all questions about one story sit on one side:
  ``gate_part("ask:" + story, share=ASK_GATE_SHARE)``.
- **Quotes** (``data/quality/quotes.jsonl``): by the article a quote is in, so all quotes of one
  article sit on one side: ``gate_part("quotes:" + article, share=QUOTES_GATE_SHARE)``.

Sizes (checked by ``tests/test_splits.py``), fit / gate:

- ECB+: 772 / 210 documents (topics 1-35 / 36-45);
- GVC: 288 / 148 reports (133 / 74 incidents);
- the pool: 1,677 / 883 reports (1,052 / 533 incidents);
- duplicates set: 3,651 / 1,698 records (ECB+ 1,117 / 333, gun violence (GVC and pool) 1,946 / 1,079,
  Wikinews 588 / 286);
- extraction: 61 / 31 pages;
- entities: see ``tests/test_splits.py``; quotes: see ``tests/test_quotes_quality.py``;
- ask: 67 / 75 questions (8 / 8 stories), see ``tests/test_ask_quality.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "ASK_GATE_SHARE",
    "ECBPLUS_GATE_TOPICS",
    "ENTITIES_GATE_SHARE",
    "EXTRACTION_GATE_SHARE",
    "INCIDENT_GATE_SHARE",
    "QUOTES_GATE_SHARE",
    "SALT",
    "SUPPORT_GATE_SHARE",
    "WIKINEWS_GATE_SHARE",
    "IncidentSplit",
    "Part",
    "ask_part",
    "dedupe_part",
    "ecbplus_part",
    "entities_part",
    "extraction_part",
    "gate_part",
    "incident_split",
    "quotes_part",
    "support_part",
]

Part = Literal["fit", "gate"]

SALT = "storyline-gates-2026"
INCIDENT_GATE_SHARE = 0.35
WIKINEWS_GATE_SHARE = 0.35
EXTRACTION_GATE_SHARE = 0.4
ENTITIES_GATE_SHARE = 0.4
QUOTES_GATE_SHARE = 0.4
SUPPORT_GATE_SHARE = 0.4
ASK_GATE_SHARE = 0.4
ECBPLUS_GATE_TOPICS = frozenset(range(36, 46))  # Barhom et al.'s test topics


def gate_part(key: str, *, share: float, salt: str = SALT) -> bool:
    """True when ``key`` falls in the gate part: its salted blake2b hash, as a fraction, is below ``share``."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be within [0, 1], not {share}")
    digest = hashlib.blake2b(f"{salt}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


def _part(gate: bool) -> Part:
    return "gate" if gate else "fit"


def ecbplus_part(topic: int | str) -> Part:
    """The part of an ECB+ topic (a number, or a subtopic / doc id such as ``"36_2ecbplus"``)."""
    number = topic if isinstance(topic, int) else int(str(topic).split("_")[0])
    return _part(number in ECBPLUS_GATE_TOPICS)


@dataclass(frozen=True, slots=True)
class IncidentSplit:
    """The gun-violence incidents' parts; ``unit_of`` maps an incident to its unit's smallest id."""

    unit_of: dict[str, str]
    share: float = INCIDENT_GATE_SHARE

    def part(self, incident_id: str) -> Part:
        """The part of one incident (an incident in none of the files read is a unit of its own)."""
        unit = self.unit_of.get(str(incident_id), str(incident_id))
        return _part(gate_part(f"incident:{unit}", share=self.share))

    def record_part(self, record: dict) -> Part:
        """The part of one GVC or pool record (``incident_id``; every ``incident_ids`` is in the same unit)."""
        return self.part(str(record["incident_id"]))


def _units(incident_lists: Iterable[Sequence[str]]) -> dict[str, str]:
    """Incidents linked by a shared report, joined into units (union-find); incident -> smallest id of its unit."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for incidents in incident_lists:
        ids = [str(i) for i in incidents]
        for other in ids[1:]:
            a, b = root(ids[0]), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
        root(ids[0])
    return {incident: root(incident) for incident in parent}


def incident_split(*paths: Path, share: float = INCIDENT_GATE_SHARE) -> IncidentSplit:
    """The incident split over the records of ``paths`` (JSONL with ``incident_id`` and maybe ``incident_ids``).

    Pass both gun-violence files (GVC and the pool) so that incidents linked by a pool report
    are one unit in both.
    """
    lists = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            lists.append([str(record["incident_id"]), *(str(i) for i in record.get("incident_ids") or ())])
    return IncidentSplit(_units(lists), share)


def dedupe_part(event: str, incidents: IncidentSplit) -> Part:
    """The part of a duplicates-set event: ``ecb-<subtopic>``, ``gvc-<incident>`` or ``wiki-<id>``."""
    corpus, _, rest = event.partition("-")
    if corpus == "ecb":
        return ecbplus_part(rest)
    if corpus == "gvc":
        return incidents.part(rest)
    if corpus == "wiki":
        return _part(gate_part(f"wiki:{event}", share=WIKINEWS_GATE_SHARE))
    raise ValueError(f"unknown duplicates-set event {event!r}")


def extraction_part(page_key: str) -> Part:
    """The part of one extraction benchmark page, by its key."""
    return _part(gate_part(f"page:{page_key}", share=EXTRACTION_GATE_SHARE))


def entities_part(document: str) -> Part:
    """The part of one GUM news document (``GUM_news_afghan``), by its name."""
    return _part(gate_part(f"gum:{document}", share=ENTITIES_GATE_SHARE))


def quotes_part(article: str) -> Part:
    """The part of the labelled quotes of one article, by the article's key in the quotes set."""
    return _part(gate_part(f"quotes:{article}", share=QUOTES_GATE_SHARE))


def support_part(incident: str) -> Part:
    """The part of a support-set record, by the incident its cited sentences report."""
    return _part(gate_part(f"support:{incident}", share=SUPPORT_GATE_SHARE))


def ask_part(story: str) -> Part:
    """The part of the labelled questions about one story, by the story's key in the ask set."""
    return _part(gate_part(f"ask:{story}", share=ASK_GATE_SHARE))
