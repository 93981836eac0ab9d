"""The project's version and the User-Agent every request carries."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mooc-exchange")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: Sent with every request, so platform operators can see who harvests them and why.
USER_AGENT = f"mooc-exchange/{__version__} (course-sharing catalog harvester)"
