"""The harvest loop of connectors/base.py and the paginators of connectors/paging.py, on tiny
connectors: known pages go beside the cursor (the old place inside it still works), connectors
that override ``harvest(cursor)`` keep getting them the old way, and each paginator stops where
its source says and refuses to loop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses
from responses import matchers

from connectors.base import Connector, FeedContext, KnownPages, harvest_with
from connectors.errors import BadResponseError, PaginationError, ResumptionExpired
from connectors.http import HttpResponse, HttpSettings, decode_json
from connectors.paging import NextLink, PageNumber, Paginator, Parsed, Request, ResumptionToken
from connectors.records import CourseRecord, Cursor, Item, Page

BASE = "https://src.example.org"


def feed() -> FeedContext:
    return FeedContext(feed_id="loop", base_url=BASE, http=HttpSettings(max_retries=0))


def records(body: dict[str, Any]) -> list[Item]:
    return [CourseRecord(key=k, title=k) for k in body["keys"]]


class Linked(Connector[Any]):
    """Next links, read by digest."""

    kind = "linked"

    def first_request(self, cursor: Cursor) -> Request:
        return Request(f"{BASE}/list")

    def paginator(self) -> Paginator:
        return NextLink(self.feed, "next", max_pages=10, keep_query={"lang": "vi"})

    def page_digests(self) -> bool:
        return True

    def parse_page(self, response: HttpResponse) -> Parsed:
        body = decode_json(response)
        return Parsed(records(body), next=body.get("next"))


class Numbered(Connector[Any]):
    kind = "numbered"

    def first_request(self, cursor: Cursor) -> Request:
        return Request(f"{BASE}/list?page=1&size=2")

    def paginator(self) -> Paginator:
        return PageNumber(self.feed, "page", page_size=2, max_pages=10)

    def parse_page(self, response: HttpResponse) -> Parsed:
        body = decode_json(response)
        return Parsed(records(body), next=body.get("more"), declared_total=body.get("total"))


class Tokened(Connector[Any]):
    kind = "tokened"

    def first_request(self, cursor: Cursor) -> Request:
        return Request(f"{BASE}/list")

    def paginator(self) -> Paginator:
        return ResumptionToken(self.feed, lambda t: Request(f"{BASE}/list?token={t}"), max_pages=5)

    def parse_page(self, response: HttpResponse) -> Parsed:
        body = decode_json(response)
        if body.get("expired"):
            raise ResumptionExpired(f"{response.url} forgot the token", url=response.url)
        return Parsed(records(body), next=body.get("token"))


def _json(url: str, body: dict[str, Any]) -> None:
    """``body`` at exactly ``url``: its query must match too."""
    responses.get(url, json=body, match=[matchers.query_string_matcher(url.partition("?")[2])])


def _urls() -> list[str]:
    return [call.request.url for call in responses.calls]


@responses.activate
def test_next_links_keep_their_required_query_and_known_pages_carry_over() -> None:
    _json(f"{BASE}/list", {"keys": ["A"], "next": "/list?after=A"})
    _json(f"{BASE}/list?after=A&lang=vi", {"keys": ["B"], "next": None})
    first = list(Linked(feed(), None).harvest(None))
    assert [p.cursor for p in first] == [{"next": f"{BASE}/list?after=A&lang=vi", "page": 2}, None]
    known = {p.url: {**(p.validators or {}), "next": p.cursor} for p in first}
    again = list(Linked(feed(), None).harvest(None, known_pages=known))
    assert [(p.number, p.not_modified, p.last) for p in again] == [
        (1, True, False),
        (2, True, True),
    ]


@responses.activate
def test_known_pages_inside_the_cursor_the_old_way_still_carry_over() -> None:
    _json(f"{BASE}/list", {"keys": ["A"], "next": None})
    [page] = Linked(feed(), None).harvest(None)
    known = {page.url: {**(page.validators or {}), "next": None}}
    [again] = Linked(feed(), None).harvest({"validators": known})
    assert again.not_modified and again.last


class OldStyle(Connector[Any]):
    """A third-party connector written before known pages went beside the cursor."""

    kind = "oldstyle"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.seen: list[Cursor] = []

    def harvest(self, cursor: Cursor) -> Iterator[Page]:
        self.seen.append(cursor)
        yield Page(items=(), cursor=None, url=BASE, number=1, last=True)


class NewStyle(OldStyle):
    def harvest(self, cursor: Cursor, known_pages: KnownPages | None = None) -> Iterator[Page]:
        self.seen.append({"cursor": cursor, "known": known_pages})
        yield Page(items=(), cursor=None, url=BASE, number=1, last=True)


def test_harvest_with_hands_known_pages_to_each_connector_the_way_it_takes_them() -> None:
    known = {f"{BASE}/list": {"digest": "d", "next": None}}
    old, new = OldStyle(feed(), None), NewStyle(feed(), None)
    list(harvest_with(old, {"page": 3}, known))
    list(harvest_with(old, {"page": 3}, None))
    list(harvest_with(new, {"page": 3}, known))
    assert old.seen == [{"page": 3, "validators": known}, {"page": 3}]
    assert new.seen == [{"cursor": {"page": 3}, "known": known}]


@responses.activate
def test_page_numbers_stop_at_the_total_an_empty_page_or_no_more() -> None:
    _json(f"{BASE}/list?page=1&size=2", {"keys": ["A", "B"], "total": 9})
    _json(f"{BASE}/list?page=2&size=2", {"keys": ["C", "D"], "more": False})
    pages = list(Numbered(feed(), None).harvest(None))
    assert [(p.number, p.cursor, p.last) for p in pages] == [
        (1, {"page": 2}, False),
        (2, None, True),
    ]
    [resumed] = Numbered(feed(), None).harvest({"page": 2})
    assert resumed.number == 2


@responses.activate
def test_page_numbers_that_answer_the_same_courses_are_refused() -> None:
    _json(f"{BASE}/list?page=1&size=2", {"keys": ["A", "B"], "total": 9})
    _json(f"{BASE}/list?page=2&size=2", {"keys": ["A", "B"], "total": 9})
    with pytest.raises(PaginationError, match=r"ignores \?page"):
        list(Numbered(feed(), None).harvest(None))


@responses.activate
def test_an_expired_token_restarts_once_then_fails() -> None:
    _json(f"{BASE}/list", {"keys": ["A"], "token": "t1"})
    _json(f"{BASE}/list?token=t1", {"expired": True})
    with pytest.raises(BadResponseError, match="forgot the token"):
        list(Tokened(feed(), None).harvest({"token": "t1", "page": 2}))
    assert _urls() == [f"{BASE}/list?token=t1", f"{BASE}/list", f"{BASE}/list?token=t1"]


@responses.activate
def test_a_restarted_listing_is_numbered_from_page_1_again() -> None:
    """Every connector's restart says so the same way: the sync sees the numbers go back and
    counts only what the restarted pass delivers."""
    _json(f"{BASE}/list", {"keys": ["A"], "token": "t1"})
    _json(f"{BASE}/list?token=t1", {"expired": True})
    _json(f"{BASE}/list", {"keys": ["A"], "token": "t2"})  # the listing, started over
    _json(f"{BASE}/list?token=t2", {"keys": ["B"]})
    pages = list(Tokened(feed(), None).harvest(None))
    assert [(p.number, [i.key for i in p.items]) for p in pages] == [
        (1, ["A"]),
        (1, ["A"]),
        (2, ["B"]),
    ]
    assert pages[1].cursor == {"token": "t2", "page": 2} and pages[2].last


@responses.activate
def test_a_token_used_twice_stops_before_its_page_is_yielded() -> None:
    _json(f"{BASE}/list", {"keys": ["A"], "token": "t1"})
    _json(f"{BASE}/list?token=t1", {"keys": ["B"], "token": "t1"})
    harvest = Tokened(feed(), None).harvest(None)
    assert next(harvest).cursor == {"token": "t1", "page": 2}
    with pytest.raises(PaginationError, match="already used"):
        next(harvest)


def test_a_connector_without_a_paginator_says_what_it_lacks() -> None:
    class Bare(Connector[Any]):
        kind = "bare"

    with pytest.raises(NotImplementedError, match="'bare' declares no first_request"):
        list(Bare(feed(), None).harvest(None))
