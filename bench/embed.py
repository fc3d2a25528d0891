"""Embedding speed, startup and memory of the default embedder (int8 ONNX all-MiniLM-L6-v2).

    .venv/bin/python bench/embed.py [--texts 1280] [--threads 2]

Each measurement runs in a fresh process, so startup and resident memory are the stage's own:

- startup: importing storyline.embed (onnxruntime, tokenizers) and opening the model, i.e. the
  first ``embed`` of one short text;
- throughput: texts/s over ``--texts`` news sentences of 50-70 tokens (~60 on average) from
  data/corpora/clustering, given 32 at a time as the pipeline does, after one warm-up batch;
  the same with the length sort's best case (all texts in one call) for comparison;
- memory: peak resident memory (VmHWM) of the process after all that.

For comparison (issue 6): all-MiniLM-L6-v2 under torch ran 103 texts/s here, as ONNX fp32 90/s.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

from procmem import memory_mb

CLUSTERING = Path(__file__).resolve().parents[1] / "data" / "corpora" / "clustering"
SEED = 20_250_601


def news_sentences(count: int) -> list[str]:
    """``count`` news sentences of 50-70 word pieces, seeded; repeated if the corpus has fewer."""
    from tokenizers import Tokenizer

    from storyline.embed.onnx_embedder import MODEL_DIR

    tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    candidates: list[str] = []
    for path in sorted(CLUSTERING.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                candidates += re.split(r"(?<=[.!?])\s+|\n+", json.loads(line).get("text") or "")
    random.Random(SEED).shuffle(candidates)
    picked: list[str] = []
    for sentence in dict.fromkeys(s.strip() for s in candidates):
        if 30 <= len(sentence) <= 600 and 50 <= len(tokenizer.encode(sentence).ids) <= 70:
            picked.append(sentence)
            if len(picked) == count:
                break
    return (picked * (count // max(len(picked), 1) + 1))[:count]


def _child(texts_file: str, threads: int) -> None:
    """One measurement, in this fresh process; prints one JSON object."""
    started = time.perf_counter()
    from storyline.embed import OnnxEmbedder

    embedder = OnnxEmbedder(threads=threads)
    embedder.embed(["Warm-up."])
    startup = time.perf_counter() - started
    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    embedder.embed(texts[:32])
    clock = time.perf_counter()
    for start in range(0, len(texts), 32):
        embedder.embed(texts[start : start + 32])
    batch32 = len(texts) / (time.perf_counter() - clock)
    clock = time.perf_counter()
    embedder.embed(texts)
    one_call = len(texts) / (time.perf_counter() - clock)
    print(json.dumps({
        "embedder": embedder.name, "threads": threads, "texts": len(texts),
        "texts_per_s_batch32": round(batch32, 1), "texts_per_s_one_call": round(one_call, 1),
        "startup_s": round(startup, 3), "peak_resident_mb": memory_mb(),
    }), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1280)
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.threads)
        return
    texts = news_sentences(args.texts)
    texts_file = Path(f"/tmp/storyline-bench-embed-{SEED}.json")
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    subprocess.run([sys.executable, __file__, "--child", str(texts_file), "--threads", str(args.threads)], check=True)
    texts_file.unlink()


if __name__ == "__main__":
    main()
