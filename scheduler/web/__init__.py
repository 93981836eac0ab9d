"""``moocx web``: the catalog published over HTTP, read-only.

A Falcon WSGI app (:func:`~scheduler.web.app.create_app`) run by waitress
(:mod:`scheduler.web.server`). The protocols are rendered by :mod:`catalog.present.publish`
(pure functions over a read-only connection); this package only routes requests to them, reads
the catalog inside :func:`catalog.store.db.read_only` on an engine that cannot write, and adds
what every response needs: CORS on the JSON endpoints, ``nosniff``, a body cap, problem JSON
for errors, and the request metrics. :mod:`.site` serves the exported student sites,
:mod:`.exchange` streams the exchange JSON per audience, :mod:`.metrics` is ``/metrics``.
"""

from scheduler.web.app import create_app

__all__ = ["create_app"]
