"""Parse stage: inputs (files now; feeds and sitemaps later) into raw items."""

from storyline.parse.files import SUPPORTED_SUFFIXES, find_input_files, read_file

__all__ = ["SUPPORTED_SUFFIXES", "find_input_files", "read_file"]
