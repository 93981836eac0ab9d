"""The publishing benchmark: ``python -m bench.publish --n 100000 [--runs 3]``.

How our OAI-PMH service compares with a static OAI-PMH feed of the same courses, in one run:

1. the loopback feed server (:mod:`bench.server`, pinned to CPU 0 like in :mod:`bench.run`)
   renders N courses as a pre-rendered OAI-PMH feed (100 records a page);
2. ``moocx sync`` harvests that feed into a fresh catalog, and ``moocx web`` serves the catalog
   (also pinned to CPU 0, 100 records a page, as the static feed);
3. per run, interleaved: **Sickle harvesting the static feed** and **Sickle harvesting our
   `/oai`** into sqlite3 (:func:`bench.peers.run_sickle`, each its own process, timed from
   outside by :mod:`bench.measure`) — the target is ours ≤ 1.5× the static feed's wall;
4. **page latency**: a ``ListRecords`` first page, and the last resumption (its token found by
   walking the list once, then re-issued: OAI-PMH lets a harvester re-issue a token), each
   requested ``--samples`` times one after another; the target is a median ≤ 50 ms;
5. **server memory** while harvesters run: ``moocx web``'s resident set (``VmRSS``, sampled
   every 50 ms) and its high-water mark (``VmHWM``) while idle, during one Sickle harvest and
   during four at once; "flat" means four harvesters do not raise the peak by more than
   :data:`FLAT_MIB`.

Prints a markdown table and writes the figures to ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lxml import etree

from bench import measure
from bench.run import PY, ROOT, FeedServer, base_url, child_env, last_json, pin, write_config

TARGET_RATIO = 1.5
TARGET_PAGE_MS = 50.0
#: Four harvesters may raise the server's peak RSS over one harvester's by at most this.
FLAT_MIB = 10.0
PAGE_SIZE = 100
OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"


def publish_config(path: Path, db: Path, feed_url: str, port: int) -> Path:
    """The bench's one-feed config with ``[publish]`` consenting to its institution."""
    write_config(path, db, "oaipmh", feed_url, exchange=False)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "[[institutions]]",
        f"""[publish]
node_id = "bench.mooc-exchange.test"
base_url = "http://127.0.0.1:{port}"
repository_name = "mooc-exchange bench node"
admin_email = "bench@mooc-exchange.test"
institutions = ["vnu"]
page_size = {PAGE_SIZE}

[[institutions]]""",
        1,
    )
    path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def web_server(config: Path, port: int, cpu: int | None) -> Iterator[subprocess.Popen[str]]:
    """``moocx web`` on ``port``, pinned to ``cpu``, until the block ends."""
    cmd = [PY, "-m", "scheduler.cli", "--config", str(config), "web"]
    cmd += ["--listen", f"127.0.0.1:{port}"]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdin=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moocx web did not start") from None
                time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for pid {pid}")


def sickle(base: str, workdir: Path, label: str) -> measure.Sample:
    """One Sickle harvest of ``{base}/oai`` into its own sqlite3 file, as its own process."""
    folder = workdir / label
    shutil.rmtree(folder, ignore_errors=True)
    cmd = [PY, "-m", "bench.peers", "sickle", "full", "--base", base, "--dir", str(folder)]
    return measure.run(cmd, cwd=ROOT, env=child_env(), timeout=3600)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return bytes(response.read())


def last_token(oai: str) -> str:
    """The token of the last resumption of a ``ListRecords`` over ``oai`` (one walk)."""
    url, token = f"{oai}?verb=ListRecords&metadataPrefix=oai_dc", None
    while True:
        root = etree.fromstring(fetch(url))
        found = root.findtext(f".//{OAI_NS}resumptionToken")
        if not found:
            if token is None:
                raise RuntimeError("the list has a single page: no resumption to time")
            return token
        token = found
        url = f"{oai}?verb=ListRecords&resumptionToken={quote(token, safe='')}"


def latencies(url: str, samples: int) -> list[float]:
    """Milliseconds per request of ``url``, one after another (after one warm-up request)."""
    fetch(url)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        fetch(url)
        times.append((time.perf_counter() - started) * 1000)
    return times


def memory_during(pid: int, work: Callable[[], object]) -> dict[str, float]:
    """The server's RSS sampled every 50 ms while ``work`` runs, and its VmHWM after."""
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(status_mib(pid, "VmRSS"))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        work()
    finally:
        done.set()
        sampler.join()
    return {"rss_max_mib": max(samples), "hwm_mib": status_mib(pid, "VmHWM")}


def concurrently(base: str, workdir: Path, count: int) -> list[measure.Sample]:
    results: list[measure.Sample] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(sickle(base, workdir, f"many-{i}")))
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def harvest_ours(config: Path) -> measure.Sample:
    cmd = [PY, "-m", "scheduler.cli", "--config", str(config), "sync", "--quiet"]
    sample = measure.run(cmd, cwd=ROOT, env=child_env(), timeout=3600)
    if not sample.ok:
        raise RuntimeError(f"moocx sync failed: {sample.stderr[-2000:]}")
    return sample


def run_case(n: int, runs: int, samples: int, workdir: Path, cpu: int | None) -> dict[str, Any]:
    """Every figure of one N (see the module docstring)."""
    figures: dict[str, Any] = {"n": n}
    with FeedServer(n, ["oaipmh"], cpu) as feeds:
        port = free_port()
        db = workdir / f"publish-{n}.db"
        db.unlink(missing_ok=True)
        config = publish_config(workdir / f"publish-{n}.toml", db, base_url("oaipmh", feeds), port)
        figures["sync_s"] = harvest_ours(config).wall_s
        ours = f"http://127.0.0.1:{port}"
        with web_server(config, port, cpu) as web:
            figures["idle_mib"] = status_mib(web.pid, "VmRSS")
            static_s, ours_s, counts = [], [], []
            for r in range(runs):  # interleaved, so drift hits both alike
                static = sickle(feeds.base, workdir, "static")
                mine = sickle(ours, workdir, "ours")
                for sample in (static, mine):
                    if not sample.ok:
                        raise RuntimeError(f"Sickle failed: {sample.stderr[-2000:]}")
                static_s.append(static.wall_s)
                ours_s.append(mine.wall_s)
                counts.append((last_json(static).get("stored"), last_json(mine).get("stored")))
                print(
                    f"  run {r + 1}: static {static.wall_s:.2f} s, ours {mine.wall_s:.2f} s",
                    file=sys.stderr,
                )
            figures.update(static_s=static_s, ours_s=ours_s, stored=counts)
            oai = f"{ours}/oai"
            first = f"{oai}?verb=ListRecords&metadataPrefix=oai_dc"
            last = f"{oai}?verb=ListRecords&resumptionToken={quote(last_token(oai), safe='')}"
            figures["first_ms"] = latencies(first, samples)
            figures["last_ms"] = latencies(last, samples)
            figures["one"] = memory_during(web.pid, lambda: sickle(ours, workdir, "one"))
            figures["four"] = memory_during(web.pid, lambda: concurrently(ours, workdir, 4))
    return figures


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(results: Sequence[dict[str, Any]]) -> str:
    mark = lambda ok: "✓" if ok else "✗"  # noqa: E731
    lines = [
        "| N | Sickle ← static feed | Sickle ← our /oai | ratio (≤ 1.5×) | first page, median"
        " (≤ 50 ms) | last resumption, median | server RSS idle → 1 → 4 harvesters (peak) |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in results:
        static, ours = _median(f["static_s"]), _median(f["ours_s"])
        ratio = ours / static
        first, last = _median(f["first_ms"]), _median(f["last_ms"])
        one, four = f["one"]["rss_max_mib"], f["four"]["rss_max_mib"]
        flat = four - one <= FLAT_MIB
        within = mark(ratio <= TARGET_RATIO)
        lines.append(
            f"| {f['n']:,} | {static:.2f} s | {ours:.2f} s | {ratio:.2f}× {within}"
            f" | {first:.1f} ms {mark(first <= TARGET_PAGE_MS)} | {last:.1f} ms"
            f" {mark(last <= TARGET_PAGE_MS)} | {f['idle_mib']:.0f} → {one:.0f} → {four:.0f} MiB"
            f" {mark(flat)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="publishing benchmark (module docstring)")
    parser.add_argument("--n", type=int, action="append", help="courses (default 100000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=30, help="requests per latency case")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--out", type=Path, default=Path("moocx-bench-publish.json"))
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    cpu = None if args.no_pin else pin()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="moocx-bench-publish-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for n in args.n or [100_000]:
            print(f"N={n:,}", file=sys.stderr)
            results.append(run_case(n, args.runs, args.samples, workdir, cpu))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"publishing · {time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} CPUs")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
