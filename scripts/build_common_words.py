"""Build the entities stage's list of common words (src/storyline/entities/data/common_words.txt).

    python scripts/build_common_words.py

A capitalised word at the start of a sentence or in a title-case headline may be a name
("Putin said") or an ordinary word ("Police said", "After talks"). The stage asks this list:
a word is common when news text writes it in lower case at least 3 times and at least twice as
often as capitalised in mid-sentence. Counted over the news texts in data/corpora (Wikinews
2019-2020, ECB+, the gun-violence pool); no labelled entity or quote data is read.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "data" / "corpora"
OUT = ROOT / "src" / "storyline" / "entities" / "data" / "common_words.txt"
_WORD = re.compile(r"[A-Za-z][a-z]+")
_SENTENCE_END = re.compile(r"[.!?:\"'“”‘’]\s*$|^\s*$")


def _texts() -> list[str]:
    csv.field_size_limit(10**9)
    texts = []
    for path in sorted((CORPORA / "news" / "wikinews").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            texts.extend(row["text"] for row in csv.DictReader(f))
    for name in ("ecbplus.jsonl", "gva-pool-train.jsonl"):
        for line in (CORPORA / "clustering" / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append(record.get("text") or "")
    return texts


def main() -> None:
    lower: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    for text in _texts():
        for match in _WORD.finditer(text):
            word = match.group()
            if word[0].islower():
                lower[word] += 1
            elif not _SENTENCE_END.search(text[max(0, match.start() - 3):match.start()]):
                capital[word.lower()] += 1
    common = sorted(w for w, n in lower.items() if n >= 3 and n >= 2 * capital[w])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("# Written by scripts/build_common_words.py; see its docstring.\n" + "\n".join(common) + "\n",
                   encoding="utf-8")
    print(f"{len(common)} common words -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
