"""Apex reference worker (Python standard library only). See workers/python/README.md."""

__version__ = "0.1.0"
