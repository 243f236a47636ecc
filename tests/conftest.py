"""Shared pytest configuration for tests/.

Vector loaders live in the ``vectors`` package (tests/vectors/__init__.py), imported
by the test modules as ``from vectors import ...``.
"""

from pathlib import Path

import pytest

#: Where the drills' Go guests are built and kept between runs (the CLI's default --guest-dir).
GUESTS = Path.home() / ".cache" / "ocp" / "guests"


@pytest.fixture(scope="session")
def selfcheck():
    """The selfcheck Go guest and its honest run, built once per test process (needs
    ``go``).  One object for every version-2 test, so a graph signed for a world is
    signed once: ``Guest.signed`` keeps it by params id."""
    from ocp.drill.games import Guest

    return Guest.selfcheck(GUESTS)
