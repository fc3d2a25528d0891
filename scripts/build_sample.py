"""Build the bundled sample (data/sample/) from the corpora in data/corpora.

    python scripts/build_sample.py [--corpora data/corpora] [--out data/sample]

- Wikinews 2019-2020 (CC BY 2.5): every article, its date line removed from the text.
- ECB+ articles that name their outlet (URL) and a date: the outlets' reports of the same
  events, tokenised text put back into running text. Undated ones are left out: an
  undated article would show as "just arrived" and push real news down the home page.

Output: one JSONL file per corpus, records {title, text, url, source, published, sample,
licence}, read by `storyline import` like any other JSONL.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from dateutil import parser as dateparser

WIKINEWS_LICENCE = (
    "From Wikinews (https://en.wikinews.org), CC BY 2.5 "
    "(https://creativecommons.org/licenses/by/2.5/); date line removed."
)
ECB_LICENCE = (
    "From the ECB+ corpus (Cybulska & Vossen 2014; annotations CC BY 3.0, texts stated "
    "not copyrighted); original outlet named; tokenised text rejoined."
)
_WIKINEWS_BANNER = re.compile(
    r"requires pre-publication review|Article last amended:|check the talk page history"
)
_WEEKDAY_LINE = re.compile(
    r"^\s*(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \w+ \d{1,2}, \d{4}\s*$"
)
# Undo the corpus tokenisation ("it ’ s", "“ Yes , ”") without touching real dashes.
_DETOKENISE = (
    (re.compile(r"(\w) ([’']) (\w)"), r"\1\2\3"),
    (re.compile(r"(\w) n't\b"), r"\1n't"),
    (re.compile(r"([“(\[]) "), r"\1"),
    (re.compile(r" ([”)\]])"), r"\1"),
    (re.compile(r" ([,.;:!?%])(?=\s|$|[”\"'])"), r"\1"),
    (re.compile(r"\b([a-z0-9]+) - ([a-z]+)\b"), r"\1-\2"),
    (re.compile(r"\b([a-z0-9]+) - ([a-z]+)\b"), r"\1-\2"),  # again: "23 - year - old"
    (re.compile(r"\b(\d{1,3}), (\d{3})\b"), r"\1,\2"),
    (re.compile(r"\b([ap])\. m\."), r"\1.m."),
    (re.compile(r"\$ (\d)"), r"$\1"),
    (re.compile(r"(\w)\. (com|org|net|co\.uk)\b"), r"\1.\2"),
    (re.compile(r"(\w)([.,!?]) \"(?=\s|$)"), r'\1\2"'),
)


def paragraphs(lines: list[str], size: int = 3) -> list[str]:
    """The corpus keeps one sentence a line: join them into paragraphs, not inside a quote."""
    result: list[str] = []
    current: list[str] = []
    for line in lines:
        current.append(line)
        joined = " ".join(current)
        if len(current) >= size and joined.count("“") <= joined.count("”"):
            result.append(joined)
            current = []
    if current:
        result.append(" ".join(current))
    return result


def detokenise(line: str) -> str:
    for pattern, replacement in _DETOKENISE:
        line = pattern.sub(replacement, line)
    return line


def wikinews_records(folder: Path) -> list[dict[str, object]]:
    records = []
    for path in sorted(folder.glob("wikinews_*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                lines = row["text"].strip().splitlines()
                if lines and _WEEKDAY_LINE.match(lines[0]):
                    lines = lines[1:]
                # Wikinews' editorial banners are not part of the article.
                lines = [x for x in lines if not _WIKINEWS_BANNER.search(x)]
                text = "\n".join(lines).strip()
                if not text or row["title"].startswith("TEST PAGE"):
                    continue
                published = datetime.fromisoformat(row["date"]).replace(tzinfo=UTC)
                records.append({
                    "title": row["title"].strip(),
                    "text": text,
                    "url": row["url"].replace("wikinews.org//wiki/", "wikinews.org/wiki/"),
                    "source": "Wikinews",
                    "published": published.isoformat().replace("+00:00", "Z"),
                    "sample": True,
                    "licence": WIKINEWS_LICENCE,
                })
    return records


def _ecb_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = dateparser.parse(text.replace(".", " "), fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if not 1990 <= parsed.year <= 2016:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# Lines that carry a page's date or byline furniture, not the article: dropped from the
# start of the text, and never taken as the title.
_FURNITURE = re.compile(
    r"^((on |first |last )?(published|posted|updated|story created|last updated|created)\b|"
    r"on (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d|"
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|"
    r"[\d/.:@|, -]+(am|pm|a\.m\.|p\.m\.)?\b|"
    r"(\d{1,2} )?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d)",
    re.I,
)


def _is_furniture(line: str) -> bool:
    return bool(_FURNITURE.match(line.strip())) and len(line.split()) <= 12


def ecb_records(path: Path) -> list[dict[str, object]]:
    records = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            published = _ecb_date(doc.get("dateline_guess"))
            if not doc.get("url") or not doc.get("source") or published is None:
                continue
            lines = [detokenise(x.strip()) for x in doc["text"].splitlines() if x.strip()]
            title = detokenise((doc.get("title_guess") or "").strip())
            if not title or _is_furniture(title):
                title = next((x for x in lines if not _is_furniture(x)), "")
            while lines and (lines[0] == title or _is_furniture(lines[0])):
                lines = lines[1:]
            if not lines:
                continue
            records.append({
                "title": title,
                "text": "\n\n".join(paragraphs(lines)),
                "url": doc["url"],
                "source": doc["source"],
                "published": published.isoformat().replace("+00:00", "Z"),
                "sample": True,
                "licence": ECB_LICENCE,
            })
    return records


def write_jsonl(path: Path, records: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=root / "data" / "corpora")
    parser.add_argument("--out", type=Path, default=root / "src" / "storyline" / "data" / "sample")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    wikinews = wikinews_records(args.corpora / "news" / "wikinews")
    ecb = ecb_records(args.corpora / "clustering" / "ecbplus.jsonl")
    write_jsonl(args.out / "wikinews.jsonl", wikinews)
    write_jsonl(args.out / "ecbplus.jsonl", ecb)
    print(f"wikinews: {len(wikinews)} articles, ecbplus: {len(ecb)} articles -> {args.out}")


if __name__ == "__main__":
    main()
