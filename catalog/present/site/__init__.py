"""The static catalog site (``moocx export --format site``): opens from disk, searches offline.

``write_site`` builds it (catalog/present/site/build.py); ``fold`` is the search folding shared with
``moocx search`` and the page's JavaScript (catalog/derive/fold.py). The builder, with Jinja2 and
nh3, is imported only when first used, so ``moocx search`` can fold a query without loading it.
"""

from __future__ import annotations

from typing import Any

from catalog.derive.fold import fold

__all__ = ["SiteError", "SiteStats", "fold", "write_site"]


def __getattr__(name: str) -> Any:
    if name in ("SiteError", "SiteStats", "write_site"):
        from catalog.present.site import build

        return getattr(build, name)
    raise AttributeError(f"module 'catalog.present.site' has no attribute {name!r}")
