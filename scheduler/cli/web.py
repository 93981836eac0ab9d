"""``moocx web``: publish the catalog over HTTP (OAI-PMH, MOOChub, Atom, the exchange, the site).

The only write is at start-up, with a normal engine: the schema made current (as every command
does) and the node's token key made once (:func:`catalog.store.node_secrets.node_secret`). The
service itself then reads through an engine that cannot write.
"""

from __future__ import annotations

import click

from scheduler.cli.base import _output, _State, cli
from scheduler.config import ConfigError
from scheduler.config_models import parse_listen


@cli.command()
@click.option("--listen", metavar="HOST:PORT", help="Where to listen (default: [web] listen).")
@click.option(
    "--threads", type=click.IntRange(1, 256), help="Worker threads (default: [web] threads)."
)
@click.pass_obj
def web(state: _State, listen: str | None, threads: int | None) -> None:
    """Publish the catalog read-only over HTTP until SIGTERM (needs [publish])."""
    config = state.config()
    publish = config.publish
    if publish is None:
        raise ConfigError(
            ["[publish]: missing; moocx web needs node_id, base_url, repository_name, "
             "admin_email and the institutions whose courses it publishes"],
            config.path,
        )  # fmt: skip
    if not publish.institutions:
        raise ConfigError(
            ["publish.institutions: empty, so nothing would be published; list the "
             "institutions that consent to their courses being published"],
            config.path,
        )  # fmt: skip
    try:
        address = parse_listen(listen) if listen else parse_listen(config.web.listen)
    except ValueError as exc:
        raise click.UsageError(f"--listen: {exc}") from None

    from catalog.store.db import make_engine
    from catalog.store.node_secrets import node_secret
    from scheduler.catalog_setup import open_catalog
    from scheduler.web import create_app
    from scheduler.web.app import ENDPOINTS
    from scheduler.web.server import serve

    key = node_secret(open_catalog(config))  # the one write, before serving
    engine = make_engine(config.catalog_url, read_only=True)
    app = create_app(config, engine, settings=config.publish_settings(key))
    out = _output()
    paths = ", ".join(path for path, _ in ENDPOINTS)

    def started(url: str) -> None:
        out.print(
            f"moocx web: serving {publish.repository_name} at {url} (public {publish.base_url}): "
            f"{paths}; publishing {', '.join(publish.institutions)}",
            markup=False,
            soft_wrap=True,
        )

    try:
        serve(app, listen=address, threads=threads or config.web.threads, started=started)
    except OSError as exc:  # the address is taken, or not this machine's
        host, port = address
        raise click.ClickException(
            f"moocx web: cannot listen on {host}:{port}: {exc.strerror or exc}; another program "
            "(another moocx web?) may hold it: choose another with --listen or [web] listen"
        ) from None
    finally:
        engine.dispose()
