"""The one exception type users see.

Anything raised as :class:`UserError` (or :class:`taptrees.errors.InputError`)
is reported by the CLI as a one-line message with exit code 2, never a traceback.
"""

from __future__ import annotations

from taptrees.errors import InputError


class UserError(InputError):
    """Bad input from a user: a file, a parameter, a key, a witness."""
