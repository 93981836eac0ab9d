"""The interface strings of a course's source facts and its runs' prices, in vi, zh and en.

Part of the site's strings (:data:`catalog.present.site.i18n.STRINGS` merges them in), kept
here, one line per key, so that :mod:`catalog.present.site.i18n` stays one screenful per
language. The keys are those of the course page (``course_main.html``): the facts a source
states (how the course is taught, its credits, until when it is available, when the source last
changed it) and each run's price, availability and own page.

A price is always shown with how often it is paid: ``price_<frequency>`` holds ``{price}`` (the
amount and its currency, ``"9.99 EUR"``), one key per MOOChub ``paymentFrequency``
(:data:`PRICE_KEYS`, :data:`connectors.records.PAYMENT_FREQUENCIES`); a price without a
frequency is its amount and currency alone.
"""

from __future__ import annotations

#: The string key of a price paid this often (MOOChub's words, as the run document has them).
PRICE_KEYS = {
    "one-time": "price_once",
    "weekly": "price_weekly",
    "monthly": "price_monthly",
    "quarterly": "price_quarterly",
    "half-yearly": "price_half_yearly",
    "by semester": "price_semester",
    "yearly": "price_yearly",
    "other": "price_other",
}

#: key → (vi, zh, en), in the order of :data:`catalog.present.site.i18n.LANGUAGES`.
_TEXTS: dict[str, tuple[str, str, str]] = {
    "f_mode": ("Hình thức tổ chức", "授课形式", "Mode"),
    "f_credits": ("Tín chỉ (theo nền tảng)", "学分（平台标注）", "Credits (as the source states)"),
    "f_expires": ("Còn cung cấp đến", "开放至", "Available until"),
    "f_modified": ("Cập nhật tại nguồn", "来源更新时间", "Updated at source"),
    "mode.online": ("Trực tuyến", "在线", "Online"),
    "mode.blended": ("Kết hợp trực tuyến và trực tiếp", "线上线下混合", "Blended"),
    "mode.onsite": ("Trực tiếp tại trường", "线下面授", "On site"),
    "run_price": ("Học phí", "费用", "Price"),
    "run_availability": ("Trạng thái", "状态", "Availability"),
    "run_link": ("Trang đợt học", "班次页面", "Run page"),
    "availability.current": ("Đang diễn ra", "进行中", "Current"),
    "availability.upcoming": ("Sắp diễn ra", "即将开课", "Upcoming"),
    "availability.archived": ("Đã kết thúc (lưu trữ)", "已归档", "Archived"),
    "price_once": ("{price} (trả một lần)", "{price}（一次性付费）", "{price}, one-time"),
    "price_weekly": ("{price}/tuần", "{price}/周", "{price} a week"),
    "price_monthly": ("{price}/tháng", "{price}/月", "{price} a month"),
    "price_quarterly": ("{price}/quý", "{price}/季度", "{price} a quarter"),
    "price_half_yearly": ("{price}/nửa năm", "{price}/半年", "{price} every six months"),
    "price_semester": ("{price}/học kỳ", "{price}/学期", "{price} a semester"),
    "price_yearly": ("{price}/năm", "{price}/年", "{price} a year"),
    "price_other": (
        "{price} (kỳ hạn thanh toán khác)",
        "{price}（其他付费周期）",
        "{price} (other payment schedule)",
    ),
}


def fact_strings(languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The strings above by language, for ``languages`` in the order the texts are given."""
    return {
        lang: {key: texts[i] for key, texts in _TEXTS.items()} for i, lang in enumerate(languages)
    }
