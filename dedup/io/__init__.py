"""Edges that touch files: decoding bytes, extracting HTML, reading corpora."""
