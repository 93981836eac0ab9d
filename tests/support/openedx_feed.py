"""Build Open edX Courses API pages for tests: a list of runs in, paged JSON bodies out."""

from __future__ import annotations

from typing import Any

import responses

BASE = "https://courses.vnu.edu.vn"
LIST = f"{BASE}/api/courses/v1/courses/"


def run(
    number: str,
    title: str | None = None,
    *,
    org: str = "VNUx",
    term: str = "2025_T1",
    start: str = "2025-09-08T01:00:00Z",
) -> dict[str, Any]:
    """One run object as the LMS serializes it (only the fields the connector reads)."""
    run_id = f"course-v1:{org}+{number}+{term}"
    return {
        "id": run_id,
        "course_id": run_id,
        "name": title or f"Khóa học {number}",
        "number": number,
        "org": org,
        "short_description": f"Mô tả {number}",
        "effort": "4 giờ/tuần",
        "start": start,
        "start_type": "timestamp",
        "end": None,
        "enrollment_start": None,
        "enrollment_end": None,
        "pacing": "instructor",
        "hidden": False,
        "invitation_only": False,
        "media": {
            "course_image": {"uri": f"/asset-v1:{org}+{number}+{term}+type@asset+block@c.jpg"}
        },
    }


def page_url(n: int, page_size: int) -> str:
    return LIST + (f"?page_size={page_size}" if n == 1 else f"?page={n}&page_size={page_size}")


def pages(
    runs: list[dict[str, Any]], page_size: int = 3, *, count: int | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(url, body) for every page of ``runs``; ``count`` overrides the declared total."""
    total = max(1, -(-len(runs) // page_size))
    out = []
    for n in range(1, total + 1):
        chunk = runs[(n - 1) * page_size : n * page_size]
        body = {
            "results": chunk,
            "pagination": {
                "next": page_url(n + 1, page_size) if n < total else None,
                "previous": page_url(n - 1, page_size) if n > 1 else None,
                "count": len(runs) if count is None else count,
                "num_pages": total,
            },
        }
        out.append((page_url(n, page_size), body))
    return out


def serve(
    runs: list[dict[str, Any]],
    page_size: int = 3,
    *,
    count: int | None = None,
    fail_page: int | None = None,
    status: int = 500,
) -> None:
    """Register the pages with the active ``responses`` mock (``fail_page`` answers ``status``)."""
    for n, (url, body) in enumerate(pages(runs, page_size, count=count), start=1):
        if n == fail_page:
            responses.get(url, status=status, json={"detail": "Internal Server Error"})
        else:
            responses.get(url, json=body)
