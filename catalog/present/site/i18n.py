"""The site's interface in Vietnamese, Chinese and English: every string, one dict per language.

The same dicts serve both sides: templates render the default language (``t``), and the build
writes them to ``data/i18n.js`` so the page can switch language without a reload. Elements carry
``data-i18n="key"``; values may hold ``{name}`` placeholders filled the same way in Python and JS.
Keys with a dot (``pacing.self``) translate a code; anything without a translation is shown as
the source gave it. The strings of a course's source facts and its runs' prices are in
:mod:`catalog.present.site.i18n_facts`, merged in here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from catalog.present.site.i18n_facts import fact_strings

LANGUAGES = ("vi", "zh", "en")

#: Each UI language named in itself, for the language switch.
ENDONYMS = {"vi": "Tiếng Việt", "zh": "中文", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "vi": {
        "site_title": "Danh mục khóa học trao đổi",
        "audience_line": "Các khóa học trực tuyến mở cho sinh viên {audience}",
        "generated": "Cập nhật dữ liệu: {date}",
        "ui_language": "Ngôn ngữ giao diện",
        "skip": "Chuyển đến nội dung chính",
        "search_label": "Tìm khóa học",
        "search_placeholder": "ví dụ: giáo dục, 人工智能, data",
        "search_hint": "Có thể gõ tiếng Việt không dấu.",
        "filters": "Bộ lọc",
        "f_institution": "Trường cung cấp",
        "f_language": "Ngôn ngữ giảng dạy",
        "f_subject": "Lĩnh vực",
        "f_level": "Trình độ",
        "f_pacing": "Hình thức học",
        "f_term": "Học kỳ",
        "f_month": "Tháng bắt đầu",
        "f_open": "Đang mở đăng ký",
        "f_free": "Miễn phí",
        "f_cert": "Có chứng chỉ",
        "any": "Tất cả",
        "sort_label": "Sắp xếp theo",
        "sort_relevance": "Mức độ phù hợp",
        "sort_start": "Ngày bắt đầu",
        "sort_title": "Tên khóa học",
        "reset": "Xóa bộ lọc",
        "results": "Kết quả",
        "count": "{n} khóa học",
        "count_one": "1 khóa học",
        "none": "Không có khóa học phù hợp. Hãy thử bỏ bớt bộ lọc.",
        "empty": "Chưa có khóa học nào",
        "show_more": "Xem thêm ({n} khóa học nữa)",
        "loading": "Đang tải danh sách khóa học…",
        "index_failed": "Chỉ hiển thị {shown} trên {n} khóa học: không tải được danh sách đầy đủ "
        "(data/index.js) nên tìm kiếm và bộ lọc không hoạt động.",
        "index_missing": "Không tải được danh sách khóa học (data/index.js).",
        "needs_js": "Chức năng tìm kiếm cần JavaScript. Hãy bật JavaScript trong trình duyệt.",
        "open_now": "Đang mở đăng ký",
        "upcoming": "Sắp mở đăng ký",
        "closed": "Đã hết hạn đăng ký",
        "withdrawn": "Đã ngừng cung cấp",
        "withdrawn_note": "Nền tảng đã gỡ khóa học này; khóa học không còn nhận đăng ký.",
        "free": "Miễn phí",
        "certificate": "Có chứng chỉ",
        "starts": "Bắt đầu {date}",
        "back": "← Về danh mục",
        "about": "Giới thiệu khóa học",
        "facts": "Thông tin chung",
        "offers": "Điều kiện trao đổi",
        "runs": "Các đợt học",
        "run": "Đợt học",
        "run_start": "Bắt đầu",
        "run_end": "Kết thúc",
        "run_enrollment": "Ghi danh trên nền tảng",
        "offered_run": "Đợt học được trao đổi",
        "offered_runs": "Các đợt học được trao đổi",
        "whole_course": "Không có đợt học theo lịch — thời gian do nền tảng quy định",
        "application_window": "Thời gian nộp đơn",
        "application_state": "Tình trạng",
        "seats": "Số chỗ",
        "credits_summary": "Tín chỉ: {credits}",
        "credits_host": "Tại trường cung cấp",
        "credits_home": "Quy đổi tại trường bạn",
        "credit_basis": "Căn cứ",
        "equivalence": "Công nhận tương đương",
        "home_course": "Học phần tương đương",
        "valid_terms": "Áp dụng cho học kỳ",
        "notes": "Ghi chú",
        "link_platform": "Xem khóa học trên nền tảng",
        "organization": "Đơn vị giảng dạy",
        "effort": "Khối lượng học",
        "course_code": "Mã khóa học",
        "not_set": "Chưa công bố",
        "pacing.self": "Tự học theo tiến độ riêng",
        "pacing.instructor": "Theo lịch của giảng viên",
        "level.introductory": "Nhập môn",
        "level.intermediate": "Trung cấp",
        "level.advanced": "Nâng cao",
        "eq.approved": "Đã được công nhận",
        "eq.conditional": "Công nhận có điều kiện",
        "eq.partial": "Công nhận một phần",
        "src.computed": "quy đổi theo số giờ học",
        "src.equivalence": "theo bảng công nhận tương đương",
        "src.rule": "theo quy định trao đổi",
        "src.source": "theo nền tảng khóa học",
        "credit.tin_chi": "tín chỉ",
        "credit.xuefen": "tín chỉ Trung Quốc (学分)",
        "credit.ects": "ECTS",
        "lang.vi": "Tiếng Việt",
        "lang.zh": "Tiếng Trung",
        "lang.en": "Tiếng Anh",
        "lang.fr": "Tiếng Pháp",
        "lang.de": "Tiếng Đức",
        "lang.ja": "Tiếng Nhật",
        "lang.ko": "Tiếng Hàn",
        "lang.ru": "Tiếng Nga",
        "lang.es": "Tiếng Tây Ban Nha",
    },
    "zh": {
        "site_title": "交换课程目录",
        "audience_line": "面向{audience}学生开放的在线课程",
        "generated": "数据更新时间：{date}",
        "ui_language": "界面语言",
        "skip": "跳到主要内容",
        "search_label": "搜索课程",
        "search_placeholder": "例如：人工智能、giáo dục、data",
        "search_hint": "越南语可不输入声调符号。",
        "filters": "筛选",
        "f_institution": "开课学校",
        "f_language": "授课语言",
        "f_subject": "学科领域",
        "f_level": "难度",
        "f_pacing": "学习方式",
        "f_term": "学期",
        "f_month": "开课月份",
        "f_open": "正在开放报名",
        "f_free": "免费",
        "f_cert": "提供证书",
        "any": "全部",
        "sort_label": "排序方式",
        "sort_relevance": "相关度",
        "sort_start": "开课日期",
        "sort_title": "课程名称",
        "reset": "清除筛选",
        "results": "搜索结果",
        "count": "{n} 门课程",
        "count_one": "1 门课程",
        "none": "没有符合条件的课程。请尝试减少筛选条件。",
        "empty": "还没有课程",
        "show_more": "显示更多（还有 {n} 门）",
        "loading": "正在加载课程列表…",
        "index_failed": "仅显示 {n} 门课程中的 {shown} 门：完整课程列表（data/index.js）未能加载，"
        "搜索和筛选无法使用。",
        "index_missing": "课程列表（data/index.js）未能加载。",
        "needs_js": "搜索功能需要 JavaScript，请在浏览器中启用。",
        "open_now": "正在报名",
        "upcoming": "即将开放报名",
        "closed": "报名已截止",
        "withdrawn": "已下线",
        "withdrawn_note": "该课程已被平台下线，不再接受报名。",
        "free": "免费",
        "certificate": "提供证书",
        "starts": "{date} 开课",
        "back": "← 返回课程目录",
        "about": "课程简介",
        "facts": "基本信息",
        "offers": "交换信息",
        "runs": "开课班次",
        "run": "班次",
        "run_start": "开始",
        "run_end": "结束",
        "run_enrollment": "平台选课时间",
        "offered_run": "交换班次",
        "offered_runs": "可选交换班次",
        "whole_course": "无固定开课班次——时间由平台安排",
        "application_window": "报名时间",
        "application_state": "报名状态",
        "seats": "名额",
        "credits_summary": "学分：{credits}",
        "credits_host": "开课学校学分",
        "credits_home": "本校认定学分",
        "credit_basis": "依据",
        "equivalence": "课程认定",
        "home_course": "对应本校课程",
        "valid_terms": "适用学期",
        "notes": "备注",
        "link_platform": "在课程平台上查看",
        "organization": "开课单位",
        "effort": "学习投入",
        "course_code": "课程代码",
        "not_set": "未公布",
        "pacing.self": "自主学习",
        "pacing.instructor": "按教师进度",
        "level.introductory": "入门",
        "level.intermediate": "中级",
        "level.advanced": "高级",
        "eq.approved": "已认定",
        "eq.conditional": "有条件认定",
        "eq.partial": "部分认定",
        "src.computed": "按学时换算",
        "src.equivalence": "依据课程认定表",
        "src.rule": "依据交换规则",
        "src.source": "来自课程平台",
        "credit.tin_chi": "越南学分（tín chỉ）",
        "credit.xuefen": "学分",
        "credit.ects": "ECTS 学分",
        "lang.vi": "越南语",
        "lang.zh": "中文",
        "lang.en": "英语",
        "lang.fr": "法语",
        "lang.de": "德语",
        "lang.ja": "日语",
        "lang.ko": "韩语",
        "lang.ru": "俄语",
        "lang.es": "西班牙语",
    },
    "en": {
        "site_title": "Exchange course catalog",
        "audience_line": "Online courses open to students of {audience}",
        "generated": "Data updated: {date}",
        "ui_language": "Interface language",
        "skip": "Skip to main content",
        "search_label": "Search courses",
        "search_placeholder": "e.g. giáo dục, 人工智能, data",
        "search_hint": "Vietnamese accents are optional.",
        "filters": "Filters",
        "f_institution": "Offered by",
        "f_language": "Course language",
        "f_subject": "Subject",
        "f_level": "Level",
        "f_pacing": "Pacing",
        "f_term": "Term",
        "f_month": "Start month",
        "f_open": "Open for applications now",
        "f_free": "Free",
        "f_cert": "Certificate available",
        "any": "Any",
        "sort_label": "Sort by",
        "sort_relevance": "Relevance",
        "sort_start": "Start date",
        "sort_title": "Title",
        "reset": "Clear filters",
        "results": "Results",
        "count": "{n} courses",
        "count_one": "1 course",
        "none": "No course matches. Try removing a filter.",
        "empty": "No courses yet",
        "show_more": "Show more ({n} more)",
        "loading": "Loading the course list…",
        "index_failed": "Showing {shown} of {n} courses: the full course list (data/index.js) "
        "could not be loaded, so search and filters do not work.",
        "index_missing": "The course list (data/index.js) could not be loaded.",
        "needs_js": "Search needs JavaScript. Please enable it in your browser.",
        "open_now": "Open for applications",
        "upcoming": "Applications open soon",
        "closed": "Applications closed",
        "withdrawn": "Withdrawn",
        "withdrawn_note": "The platform has withdrawn this course: no more applications.",
        "free": "Free",
        "certificate": "Certificate",
        "starts": "Starts {date}",
        "back": "← Back to the catalog",
        "about": "About this course",
        "facts": "At a glance",
        "offers": "Exchange offer",
        "runs": "Course runs",
        "run": "Run",
        "run_start": "Starts",
        "run_end": "Ends",
        "run_enrollment": "Platform enrollment",
        "offered_run": "Offered run",
        "offered_runs": "Offered runs",
        "whole_course": "No scheduled run — dates set by the platform",
        "application_window": "Application window",
        "application_state": "Status",
        "seats": "Seats",
        "credits_summary": "Credits: {credits}",
        "credits_host": "At the host university",
        "credits_home": "At your university",
        "credit_basis": "Basis",
        "equivalence": "Course equivalence",
        "home_course": "Equivalent home course",
        "valid_terms": "Valid for terms",
        "notes": "Notes",
        "link_platform": "View the course on its platform",
        "organization": "Taught by",
        "effort": "Effort",
        "course_code": "Course code",
        "not_set": "Not announced",
        "pacing.self": "Self-paced",
        "pacing.instructor": "Instructor-led",
        "level.introductory": "Introductory",
        "level.intermediate": "Intermediate",
        "level.advanced": "Advanced",
        "eq.approved": "Approved",
        "eq.conditional": "Conditional",
        "eq.partial": "Partial",
        "src.computed": "converted from contact hours",
        "src.equivalence": "from the equivalence register",
        "src.rule": "set by the exchange rule",
        "src.source": "from the course platform",
        "credit.tin_chi": "Vietnamese credits (tín chỉ)",
        "credit.xuefen": "Chinese credits (学分)",
        "credit.ects": "ECTS",
        "lang.vi": "Vietnamese",
        "lang.zh": "Chinese",
        "lang.en": "English",
        "lang.fr": "French",
        "lang.de": "German",
        "lang.ja": "Japanese",
        "lang.ko": "Korean",
        "lang.ru": "Russian",
        "lang.es": "Spanish",
    },
}

# The course page's source facts and run prices, kept in their own module (i18n_facts.py).
for _lang, _strings in fact_strings(LANGUAGES).items():
    STRINGS[_lang].update(_strings)

#: Interface language by the audience institution's country, when the institution names no
#: language of its own (``[[institutions]] language``).
_BY_COUNTRY = {"VN": "vi", "CN": "zh", "TW": "zh", "HK": "zh", "SG": "en"}


def default_language(audience: str, institutions: Sequence[Mapping[str, object]]) -> str:
    """The language the site opens in when the caller does not say: the audience's own
    (``language``, the one its rule notes are resolved to), else its country's, else English."""
    inst = next((i for i in institutions if i.get("id") == audience), None)
    if inst is None:
        return "en"
    own = str(inst.get("language") or "").split("-")[0].lower()
    if own in LANGUAGES:
        return own
    return _BY_COUNTRY.get(str(inst.get("country") or "").upper(), "en")


def with_credit_names(
    strings: dict[str, dict[str, str]], systems: Mapping[str, Mapping[str, str]] | None
) -> dict[str, dict[str, str]]:
    """The strings plus the configured names of credit systems (``[[credit_systems]].names``)."""
    merged = {lang: dict(table) for lang, table in strings.items()}
    for system, names in (systems or {}).items():
        for lang in LANGUAGES:
            if names.get(lang):
                merged[lang][f"credit.{system}"] = names[lang]
    return merged


def translator(strings: Mapping[str, Mapping[str, str]], lang: str) -> Callable[..., str]:
    """``t(key, **values)`` for one language; unknown keys fall back to English, then the key.
    ``{name}`` placeholders are filled with ``values``, as the page's JavaScript fills them."""
    table, english = strings[lang], strings["en"]

    def t(key: str, **values: object) -> str:
        text = table.get(key) or english.get(key) or key
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    return t
