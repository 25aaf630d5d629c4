"""The one exception hierarchy of arcsim.

Every error that a user can cause (a bad command line, a bad scenario file, a bad flag, a bad
inventory export) is an :class:`ArcsimError` whose message names where the problem is, what was
expected and what was found. Faces (CLI, pytest plugin) print the message, never a traceback.
"""

from __future__ import annotations


class ArcsimError(Exception):
    """Base class of every error arcsim raises on purpose."""


class ArcsimWarning(UserWarning):
    """Base class of arcsim's warnings: something a run did not take as asked, and what it did
    instead. The CLI prints them as ``arcsim: notice: ...`` lines."""
