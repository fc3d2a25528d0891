"""What a `pip install storyline` must carry: the sample, the starter feeds and the embedding model
live inside the package and are listed as its package data (a wheel holds nothing else)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import storyline
from storyline.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(storyline.__file__).resolve().parent


def _package_data() -> list[Path]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["storyline"]
    return sorted({p for pattern in patterns for p in PACKAGE.glob(pattern) if p.is_file()})


def test_the_sample_starter_feeds_and_model_are_package_data() -> None:
    settings = load_settings({"home": str(ROOT / "var")}, environ={})
    shipped = _package_data()
    sample = sorted(settings.resolved_sample_dir.glob("*.jsonl"))
    assert sample, "the bundled sample has no data files"
    assert set(sample) <= set(shipped)
    assert settings.resolved_sample_dir / "SOURCE.md" in shipped  # its licence note travels with it
    assert settings.resolved_starter_feeds in shipped
    for name in ("model.onnx", "tokenizer.json", "LICENSE"):
        assert PACKAGE / "embed" / "model" / name in shipped


def test_the_entities_word_list_is_package_data() -> None:
    assert PACKAGE / "entities" / "data" / "common_words.txt" in _package_data()
