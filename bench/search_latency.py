"""``moocx search`` latency without process start-up: every query of a fixed set, in one process.

``python -m bench.search_latency --catalog-url sqlite:///… [--repeat 5]`` opens the catalog as
``moocx search`` does (``catalog.store.db.make_engine``, a read-only transaction per query) and
times ``catalog.store.textsearch.search`` for each query, after one warm-up pass. Prints one JSON
line: every query with its hit count and timings, and the median and p95 over all of them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench.measure import median, percentile
from catalog.store.db import make_engine, read_only
from catalog.store.textsearch import search

#: Vietnamese with and without diacritics, Chinese words and substrings, and two misses.
QUERIES = (
    ("vi", "giáo dục"),
    ("vi-folded", "giao duc"),
    ("vi", "trí tuệ nhân tạo"),
    ("vi-folded", "tri tue nhan tao"),
    ("vi", "Lập trình Python"),
    ("vi-folded", "lap trinh"),
    ("vi", "kinh tế học"),
    ("vi-folded", "kinh te luong"),
    ("vi", "Đại số tuyến tính"),
    ("vi-folded", "dai so"),
    ("vi", "lịch sử Việt Nam"),
    ("vi", "khoa học dữ liệu"),
    ("vi", "không có khóa học này"),
    ("zh", "人工智能"),
    ("zh", "数据结构"),
    ("zh", "机器学习"),
    ("zh", "经济学"),
    ("zh", "中国古代史"),
    ("zh", "量子计算"),
    ("zh", "教育心理学"),
    ("zh", "唐诗"),
    ("zh", "计算机网络"),
    ("zh", "概率论"),
    ("zh", "不存在的课程名称"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog-url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args(argv)
    engine = make_engine(args.catalog_url)
    for _, query in QUERIES:  # warm-up: page cache, statement cache
        with read_only(engine) as conn:
            search(conn, query, limit=args.limit)
    results, every = [], []
    for kind, query in QUERIES:
        times, hits = [], 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            with read_only(engine) as conn:
                hits = len(search(conn, query, limit=args.limit))
            times.append((time.perf_counter() - started) * 1000)
        every += times
        results.append({"kind": kind, "query": query, "hits": hits, "median_ms": median(times)})
    print(
        json.dumps(
            {
                "queries": results,
                "samples": len(every),
                "median_ms": median(every),
                "p95_ms": percentile(every, 95),
                "max_ms": max(every),
            },
            ensure_ascii=False,
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
