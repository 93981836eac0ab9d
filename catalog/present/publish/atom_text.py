"""The words of the Atom feeds of offers, in the site's three languages (vi, zh, en).

Kept apart from the site's interface strings (catalog/present/site/i18n.py): those are written
into every site's ``data/i18n.js``, which the feeds must not change. An entry's summary names
the offering university, the term, the application window — its times in the offering
institution's zone, as the course documents give them and the site's offer cards show them
(``2026-01-05 00:00 UTC+07:00``) — and the home credits when the rule says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.present.course_document import OfferDocument
from catalog.present.site.display import moment_text, number_text
from catalog.present.site.i18n import STRINGS

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "feed_title": "Khóa học mới và cập nhật cho sinh viên {audience}",
        "offered_by": "Trường cung cấp: {university}",
        "term": "Học kỳ: {term}",
        "window": "Thời gian nộp đơn: {start} – {end}",
        "window_from": "Nhận đơn từ {start}",
        "window_until": "Hạn nộp đơn: {end}",
        "home_credits": "Tín chỉ quy đổi tại trường bạn: {credits}",
        "whole_course": "Không có đợt học theo lịch",
    },
    "zh": {
        "feed_title": "面向{audience}学生的新课程与更新课程",
        "offered_by": "开课学校：{university}",
        "term": "学期：{term}",
        "window": "报名时间：{start} – {end}",
        "window_from": "报名开始：{start}",
        "window_until": "报名截止：{end}",
        "home_credits": "本校认定学分：{credits}",
        "whole_course": "无固定开课时间",
    },
    "en": {
        "feed_title": "New and updated courses for {audience} students",
        "offered_by": "Offered by {university}",
        "term": "Term: {term}",
        "window": "Application window: {start} – {end}",
        "window_from": "Applications open {start}",
        "window_until": "Apply by {end}",
        "home_credits": "Credits at your university: {credits}",
        "whole_course": "No scheduled run",
    },
}


def words(language: str) -> dict[str, str]:
    """The feed's words in ``language`` (English for a language the site does not have)."""
    return TEXT.get(language, TEXT["en"])


def institution_name(names: Mapping[str, Any] | None, language: str, fallback: str) -> str:
    """An institution's name in ``language``, else in English, else any, else ``fallback``."""
    given = names or {}
    name = given.get(language) or given.get("en") or next(iter(given.values()), None)
    return str(name) if name else fallback


def offer_summary(offer: OfferDocument, university: str, language: str) -> str:
    """One offer in a few lines: who offers it, the term, the application window, credits."""
    text = words(language)
    lines = [text["offered_by"].replace("{university}", university)]
    if offer.term:
        lines.append(text["term"].replace("{term}", offer.term))
    start, end = offer.application_start, offer.application_end
    if start is not None and end is not None:
        window = text["window"].replace("{start}", moment_text(start))
        lines.append(window.replace("{end}", moment_text(end)))
    elif start is not None:
        lines.append(text["window_from"].replace("{start}", moment_text(start)))
    elif end is not None:
        lines.append(text["window_until"].replace("{end}", moment_text(end)))
    if offer.whole_course:
        lines.append(text["whole_course"])
    credits = offer.credits
    if credits is not None and credits.home is not None:
        amount = number_text(credits.home)
        system = credits.home_system
        if system:
            strings = STRINGS.get(language, STRINGS["en"])
            amount = f"{amount} {strings.get(f'credit.{system}') or system}"
        lines.append(text["home_credits"].replace("{credits}", amount))
    return "\n".join(lines)
