"""Ingest: the written order of stages (``pipeline``) and what runs it.

``pipeline`` states the order; ``prepare`` runs the per-item stages (in worker processes);
``runner.Ingest`` stores articles and runs the stored stages (``copies``, ``stories``);
``refresh`` and ``scheduler`` bring sources in, ``subscriptions`` manages them; ``batch``
runs the same stages over JSONL records for the batch commands and the quality gates.
"""

from storyline.ingest.runner import Ingest

__all__ = ["Ingest"]
