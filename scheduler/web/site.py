"""``/site/{audience}/…``: the exported student sites, as read-only static files.

The folders are those of the config's ``[[exports]] format = "site"``. A path is accepted only
when every segment is a plain name — no ``..``, ``.``, empty, hidden (``.moocx-site``, an
export's ``.tmp-`` folder), backslash or NUL segment, whether sent as is or percent-encoded
(the server decodes before routing) — and when the file it resolves to, symlinks followed,
still lies inside the site's folder. Anything else is a 404, which tells a prober nothing.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from email.utils import formatdate
from pathlib import Path

import falcon

#: Types the site uses that ``mimetypes`` may not know or may guess differently per platform.
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
}


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def resolve(root: Path, relative: str) -> Path | None:
    """The file ``relative`` names inside ``root`` (``index.html`` for a folder), or None."""
    segments = relative.split("/")
    if segments and segments[-1] == "":
        segments = segments[:-1]  # a trailing slash: the folder itself
    for segment in segments:
        if not segment or segment.startswith(".") or "\\" in segment or "\x00" in segment:
            return None
    base = root.resolve()
    target = base.joinpath(*segments).resolve()
    if target != base and not target.is_relative_to(base):
        return None  # a symlink out of the site
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


class SiteFiles:
    """``GET /site/{audience}/{path}``: one file of the audience's exported site."""

    def __init__(self, folders: Mapping[str, Path]) -> None:
        self.folders = dict(folders)

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, audience: str, path: str = ""
    ) -> None:
        root = self.folders.get(audience)
        if root is None:
            raise falcon.HTTPNotFound(description=f"no site is served for {audience!r}")
        if not path and not req.path.endswith("/"):
            raise falcon.HTTPMovedPermanently(f"{audience}/")  # relative: right behind a proxy
        target = resolve(root, path)
        if target is None:
            raise falcon.HTTPNotFound()
        stat = target.stat()
        resp.content_type = content_type(target)
        resp.set_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
        resp.set_header("Cache-Control", "public, max-age=300")
        resp.set_stream(target.open("rb"), stat.st_size)

    on_head = on_get
