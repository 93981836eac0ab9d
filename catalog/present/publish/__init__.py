"""The catalog as a node of the network: OAI-PMH, MOOChub and Atom, rendered from documents.

Pure functions over a read-only connection: request arguments in, response bytes out, testable
without a server. ``scheduler/web`` mounts them on a web framework. Only the institutions the
``[publish]`` config lists are published (:class:`~.settings.PublishSettings`), and nothing
private leaves the node: no secrets, no row ids, no raw source payloads.

:mod:`.settings` (what the node publishes), :mod:`.selection` (which courses, in which order,
a page after another).
"""
