"""Quality measurement of the heuristic stages against labelled corpora."""
