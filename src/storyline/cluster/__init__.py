"""Cluster stage: online story assignment over a time window.

``StoryClusterer.add`` puts each new article (duplicates already folded) into an active story
or starts one, in arrival order, without re-clustering the archive: approximate nearest
stories by embedding (usearch), then a logistic decision over body, title, name, number and
time evidence. Stories are updated incrementally, converging stories are merged (the merged
id is reported so its URL can redirect) and related stories are returned at assignment time.
``snapshot``/``restore`` carry the state across restarts. Scores: ``storyline.cluster.metrics``.
"""

from storyline.cluster.assign import Assignment, ClusterInput, ClusterSettings, StoryClusterer
from storyline.cluster.metrics import ClusterScores, Score, bcubed, cluster_scores, pairwise

__all__ = [
    "Assignment",
    "ClusterInput",
    "ClusterScores",
    "ClusterSettings",
    "Score",
    "StoryClusterer",
    "bcubed",
    "cluster_scores",
    "pairwise",
]
