"""Running the app under waitress, until SIGTERM or SIGINT.

waitress: a production WSGI server in pure Python (no compiler, runs wherever the harvester
runs, Windows included), multi-threaded, with back-pressure on slow clients, request-size
limits, and header parsing hardened over years. On a signal the server stops accepting, lets the
requests in progress finish (up to ``stop_timeout`` seconds) and returns.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from scheduler.web.middleware import MAX_BODY

log = logging.getLogger(__name__)


class Stop(KeyboardInterrupt):
    """Raised in the main thread by the signal handler: ends waitress's loop (it stops its
    workers on ``KeyboardInterrupt``)."""


def make_server(app: Any, *, host: str, port: int, threads: int) -> Any:
    """A bound waitress server (``port=0``: any free port; ``.effective_port`` says which)."""
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="moocx",
        # The app answers bodies over MAX_BODY with its own 413 (headers and all); waitress
        # stops anything far beyond it before the app sees a byte.
        max_request_body_size=16 * MAX_BODY,
        clear_untrusted_proxy_headers=True,
        channel_timeout=60,
    )


def serve(
    app: Any,
    *,
    listen: tuple[str, int],
    threads: int,
    started: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` on ``listen`` until SIGTERM/SIGINT; ``started(url)`` once it listens."""
    host, port = listen
    server = make_server(app, host=host, port=port, threads=threads)
    shown = (
        f"[{server.effective_host}]" if ":" in str(server.effective_host) else server.effective_host
    )
    url = f"http://{shown}:{server.effective_port}"
    previous = _install(threading.main_thread() is threading.current_thread())
    try:
        if started is not None:
            started(url)
        server.run()  # returns after Stop: its workers are shut down
    except Stop:
        server.task_dispatcher.shutdown()
    finally:
        server.close()
        _restore(previous)
    log.info("moocx web stopped")


def stop(server: Any, thread: threading.Thread | None = None, timeout: float = 5) -> None:
    """Stop a server whose loop runs in another thread (tests, embedding): the workers finish
    their requests, then the loop's own thread closes every socket, so the loop ends."""
    server.task_dispatcher.shutdown(timeout=timeout)
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    if thread is not None:
        thread.join(timeout)


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    log.info("moocx web: %s received, stopping", signal.Signals(signum).name)
    raise Stop


def _install(main: bool) -> dict[int, Any]:
    if not main:
        return {}
    return {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
