"""Reads for payments (querysets, summaries, reports), one module per concept;
services write. Selectors never import services."""
