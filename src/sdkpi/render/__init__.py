"""Renderers: draw results (never raw records or files) as text, JSON, HTML or Excel."""
