"""Connectors: turn remote MOOC feeds into streams of plain course records."""
