"""Shared pytest configuration for tests/.

Vector loaders live in the ``vectors`` package (tests/vectors/__init__.py), imported
by the test modules as ``from vectors import ...``.
"""
