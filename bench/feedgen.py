"""A deterministic catalog of N synthetic courses and its four wire formats.

:func:`make_courses` draws N courses from a seeded generator: Vietnamese, Chinese and English
titles, HTML descriptions, 1–3 runs each, teachers, subjects, a ``modified`` time that grows with
the course's index. The renderers turn the same catalog into exactly what our connectors read:

* Open edX Courses API pages (runs, 100 a page, absolute ``pagination.next``; about 1.2 KB a run),
* XuetangX ``get_product_list`` pages (10 products a page) and classroom answers,
* OAI-PMH ``ListRecords`` records in ``oai_dc`` (escaped HTML descriptions, ISO 639-2 languages),
* MOOChub v3 JSON:API pages (100 courses a page, ``links.next``).

Same ``(n, seed)``, same bytes. Standard library only, so the loopback server and the baselines
share it without importing the harvester.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote
from xml.sax.saxutils import escape

SEED = 20_261_125
#: Every ``modified`` / OAI datestamp is after this and grows with the course index.
FIRST_MODIFIED = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
CHINA = timezone(timedelta(hours=8))

OPENEDX_PAGE = 100
XUETANGX_PAGE = 10
OAI_PAGE = 100
MOOCHUB_PAGE = 100

LANGUAGE_WEIGHTS = (("vi", 45), ("zh", 35), ("en", 20))
ORGS = {
    "vi": ("VNUx", "UETx", "USSHx", "HUSx", "ULISx", "UEBx"),
    "zh": ("TsinghuaX", "PekingX", "FudanX", "ZJUx", "NJUx"),
    "en": ("VNU-ISx", "HKUSTx", "NUSx"),
}
ORG_NAMES = {
    "VNUx": "Đại học Quốc gia Hà Nội",
    "UETx": "Trường Đại học Công nghệ, ĐHQGHN",
    "USSHx": "Trường Đại học Khoa học Xã hội và Nhân văn",
    "HUSx": "Trường Đại học Khoa học Tự nhiên",
    "ULISx": "Trường Đại học Ngoại ngữ",
    "UEBx": "Trường Đại học Kinh tế",
    "TsinghuaX": "清华大学",
    "PekingX": "北京大学",
    "FudanX": "复旦大学",
    "ZJUx": "浙江大学",
    "NJUx": "南京大学",
    "VNU-ISx": "VNU International School",
    "HKUSTx": "Hong Kong University of Science and Technology",
    "NUSx": "National University of Singapore",
}
SIGN_PREFIX = {"vi": "VNU", "zh": "THU", "en": "INT"}
NUMBER_PREFIX = ("INT", "MAT", "ECO", "HIS", "PHY", "BIO", "LIN", "BUS", "EDU", "LAW")

TITLES = {
    "vi": (
        "Nhập môn Khoa học Máy tính",
        "Lập trình Python cơ bản",
        "Trí tuệ nhân tạo và ứng dụng",
        "Kinh tế học vi mô",
        "Lịch sử Việt Nam hiện đại",
        "Toán rời rạc",
        "Cấu trúc dữ liệu và giải thuật",
        "Học máy ứng dụng",
        "Quản trị kinh doanh số",
        "Tiếng Việt cho người nước ngoài",
        "Xác suất và thống kê",
        "Vật lý đại cương",
        "Giáo dục học đại cương",
        "Tâm lý học giáo dục",
        "Luật Hiến pháp Việt Nam",
        "Văn học dân gian Việt Nam",
        "Đại số tuyến tính",
        "Mạng máy tính",
        "Khoa học dữ liệu cho mọi người",
        "Kinh tế lượng",
    ),
    "zh": (
        "计算机科学导论",
        "数据结构与算法",
        "人工智能基础",
        "微观经济学",
        "中国古代史",
        "机器学习实践",
        "线性代数",
        "大学物理",
        "概率论与数理统计",
        "现代汉语语法",
        "数字营销管理",
        "量子计算入门",
        "教育心理学",
        "中国哲学史",
        "宏观经济学原理",
        "操作系统",
        "人工智能伦理",
        "计算机网络",
        "高等数学",
        "唐诗宋词鉴赏",
    ),
    "en": (
        "Introduction to Computer Science",
        "Data Structures and Algorithms",
        "Foundations of Artificial Intelligence",
        "Principles of Microeconomics",
        "World History since 1900",
        "Applied Machine Learning",
        "Linear Algebra",
        "Classical Mechanics",
        "Probability and Statistics",
        "Academic Writing in English",
        "Digital Business Strategy",
        "Quantum Computing Fundamentals",
        "Educational Psychology",
        "Southeast Asian Studies",
        "Computer Networks",
    ),
}
LEVELS = {
    "vi": ("", " (Phần 1)", " (Phần 2)", " nâng cao", " cơ bản"),
    "zh": ("", "（上）", "（下）", "进阶", "入门"),
    "en": ("", ": Part 1", ": Part 2", " (Advanced)", " Essentials"),
}
SUBJECTS = {
    "vi": ("Khoa học máy tính", "Kinh tế", "Giáo dục", "Lịch sử", "Toán học", "Ngôn ngữ"),
    "zh": ("计算机", "经济管理", "教育学", "历史", "数学", "文学"),
    "en": ("Computer Science", "Economics", "Education", "History", "Mathematics", "Languages"),
}
TEACHERS = {
    "vi": ("Nguyễn Văn Đức", "Trần Thị Hương", "Lê Minh Tuấn", "Phạm Thu Trang", "Đỗ Quang Vinh"),
    "zh": ("王建国", "李晓明", "张伟", "刘芳", "陈静"),
    "en": ("Jane Smith", "Alan Turing", "Maria Garcia", "David Chen", "Sarah Johnson"),
}
JOB_TITLES = {"vi": "PGS. TS.", "zh": "教授", "en": "Prof."}
SENTENCES = {
    "vi": (
        "Bạn sẽ học qua các bài giảng video ngắn, bài tập có chấm điểm và một dự án cuối khóa.",
        "Khóa học phù hợp với sinh viên năm nhất và người đi làm muốn cập nhật kiến thức.",
        "Mỗi tuần gồm hai giờ bài giảng, một buổi thảo luận trực tuyến và bài đọc bổ trợ.",
        "Học viên hoàn thành khóa học được cấp chứng chỉ của Đại học Quốc gia Hà Nội.",
        "Nội dung được cập nhật theo chương trình đào tạo mới nhất của nhà trường.",
    ),
    "zh": (
        "课程包括视频讲座、在线练习、编程作业与期末项目。",
        "适合本科生及希望更新知识的在职学习者。",
        "每周安排两小时讲授、一次在线讨论以及拓展阅读材料。",
        "完成全部学习任务的学员可获得课程认证证书。",
        "课程内容依据最新的培养方案持续更新。",
    ),
    "en": (
        "You will learn through short video lectures, graded exercises and a capstone project.",
        "The course suits first-year students and working professionals alike.",
        "Each week brings two hours of lectures, an online discussion and further reading.",
        "Learners who complete the course earn a verified certificate.",
        "The material follows the university's most recent curriculum.",
    ),
}
OUTCOMES = {
    "vi": ("Hiểu các khái niệm nền tảng", "Thực hành với dữ liệu thực tế", "Làm việc nhóm"),
    "zh": ("掌握基础理论与关键方法", "使用真实数据进行实践", "完成小组项目"),
    "en": ("Understand the core concepts", "Practise with real-world data", "Work in a team"),
}
INTRO = {
    "vi": "Khóa học giới thiệu {t} cho sinh viên và người đi làm.",
    "zh": "本课程系统讲授{t}的核心概念与方法。",
    "en": "This course introduces {t} to students and working professionals.",
}
TEACHER_LABEL = {"vi": "Giảng viên", "zh": "主讲教师", "en": "Instructors"}
ISO_639_2 = {"vi": "vie", "zh": "chi", "en": "eng"}
TERM_MONTHS = (2, 6, 9)


@dataclass(frozen=True, slots=True)
class Run:
    """One session of a course."""

    code: str
    start: datetime
    end: datetime | None
    enrollment_start: datetime
    enrollment_end: datetime | None
    pacing: str
    classroom_id: int


@dataclass(frozen=True, slots=True)
class Course:
    """One synthetic course; every wire format is rendered from these fields."""

    index: int
    language: str
    org: str
    number: str
    title: str
    description: str  # HTML, a few paragraphs
    summary: str  # HTML, one paragraph (Open edX's short_description)
    intro: str  # plain text
    subjects: tuple[str, ...]
    teachers: tuple[str, ...]
    effort_hours: int
    credits: int
    free: bool
    video: str | None
    modified: datetime
    runs: tuple[Run, ...]

    @property
    def key(self) -> str:
        """The course key our Open edX connector derives (``ORG+NUM``)."""
        return f"{self.org}+{self.number}"

    @property
    def sign(self) -> str:
        """The XuetangX course id."""
        return f"{SIGN_PREFIX[self.language]}{10_000_000 + self.index}"


def make_courses(n: int, seed: int = SEED) -> list[Course]:
    """N courses, deterministic for ``(n, seed)``; course ``i`` does not depend on ``n``."""
    return [make_course(i, seed) for i in range(n)]


def make_course(i: int, seed: int = SEED) -> Course:
    rng = random.Random(seed * 1_000_003 + i)
    language = rng.choices([w[0] for w in LANGUAGE_WEIGHTS], [w[1] for w in LANGUAGE_WEIGHTS])[0]
    org = rng.choice(ORGS[language])
    number = f"{rng.choice(NUMBER_PREFIX)}{1000 + i}"
    title = rng.choice(TITLES[language]) + rng.choice(LEVELS[language])
    teachers = tuple(rng.sample(TEACHERS[language], rng.randint(1, 2)))
    subjects = tuple(rng.sample(SUBJECTS[language], rng.randint(1, 2)))
    description = _description(rng, language, title, org, teachers)
    n_runs = rng.choices((1, 2, 3), (40, 35, 25))[0]
    last_term = rng.randrange(3, 9)  # terms 2025-T1 .. 2026-T3
    runs = []
    for r in range(n_runs):
        term = last_term - (n_runs - 1 - r)
        year, month = 2024 + term // 3, TERM_MONTHS[term % 3]
        start = datetime(year, month, rng.randint(1, 27), 1, 0, tzinfo=UTC)
        self_paced = rng.random() < 0.15
        end = None if self_paced else start + timedelta(weeks=rng.choice((6, 8, 10, 12)))
        runs.append(
            Run(
                code=f"{year}_T{term % 3 + 1}",
                start=start,
                end=end,
                enrollment_start=start - timedelta(days=rng.randint(20, 60)),
                enrollment_end=(end - timedelta(days=7)) if end else None,
                pacing="self" if self_paced else "instructor",
                classroom_id=3_000_000 + i * 4 + r,
            )
        )
    return Course(
        index=i,
        language=language,
        org=org,
        number=number,
        title=title,
        description=description,
        summary=f"<p>{INTRO[language].format(t=f'<strong>{escape(title)}</strong>')}</p>",
        intro=INTRO[language].format(t=title),
        subjects=subjects,
        teachers=teachers,
        effort_hours=rng.randint(2, 9),
        credits=rng.randint(1, 4),
        free=rng.random() < 0.7,
        video=f"https://www.youtube.com/watch?v={rng.getrandbits(44):011x}"
        if rng.random() < 0.6
        else None,
        modified=FIRST_MODIFIED + timedelta(seconds=i * 23 + rng.randrange(23)),
        runs=tuple(runs),
    )


def _description(
    rng: random.Random, language: str, title: str, org: str, teachers: tuple[str, ...]
) -> str:
    sentences = " ".join(rng.sample(SENTENCES[language], 2))
    outcomes = "".join(f"<li>{o}</li>" for o in OUTCOMES[language])
    who = " &amp; ".join(f"{JOB_TITLES[language]} {t}" for t in teachers)
    return (
        f"<p>{INTRO[language].format(t=f'<strong>{escape(title)}</strong>')}</p>"
        f"<p>{sentences}</p><ul>{outcomes}</ul>"
        f"<p>{TEACHER_LABEL[language]}: {who} — {escape(ORG_NAMES[org])}.</p>"
    )


def iso_z(when: datetime | None) -> str | None:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def dumps(obj: object) -> bytes:
    """Compact UTF-8 JSON, as Django REST framework renders it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chunks(items: list[bytes], size: int) -> Iterator[list[bytes]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Open edX Courses API ------------------------------------------------------------------


def openedx_run(course: Course, run: Run, base: str) -> dict[str, object]:
    """One item of ``/api/courses/v1/courses/`` (a course run)."""
    cid = f"course-v1:{course.org}+{course.number}+{run.code}"
    asset = f"/asset-v1:{course.org}+{course.number}+{run.code}+type@asset+block@"
    return {
        "blocks_url": f"{base}/api/courses/v2/blocks/?course_id={quote(cid, safe='')}",
        "effort": f"{course.effort_hours:02d}:00",
        "end": iso_z(run.end),
        "enrollment_start": iso_z(run.enrollment_start),
        "enrollment_end": iso_z(run.enrollment_end),
        "id": cid,
        "media": {
            "banner_image": {
                "uri": f"{asset}banner.jpg",
                "uri_absolute": f"{base}{asset}banner.jpg",
            },
            "course_image": {"uri": f"{asset}course_image.jpg"},
            "course_video": {"uri": course.video},
            "image": {
                "raw": f"{base}{asset}course_image.jpg",
                "small": f"{base}{asset}course_image-375x200.jpg",
                "large": f"{base}{asset}course_image-750x400.jpg",
            },
        },
        "name": course.title,
        "number": course.number,
        "org": course.org,
        "short_description": course.summary,
        "start": iso_z(run.start),
        "start_display": run.start.strftime("%b. %d, %Y"),
        "start_type": "timestamp",
        "pacing": run.pacing,
        "mobile_available": True,
        "hidden": False,
        "invitation_only": False,
        "course_id": cid,
    }


def openedx_url(base: str, page: int) -> str:
    return f"{base}/api/courses/v1/courses/?page={page}&page_size={OPENEDX_PAGE}"


def openedx_pages(courses: list[Course], base: str) -> list[bytes]:
    """The Courses API pages, runs in course order (a course's runs may straddle two pages)."""
    items = [dumps(openedx_run(c, r, base)) for c in courses for r in c.runs]
    total, pages = len(items), max(1, -(-len(items) // OPENEDX_PAGE))
    out = []
    for number, results in enumerate(chunks(items, OPENEDX_PAGE) if items else [[]], start=1):
        pagination = {
            "next": openedx_url(base, number + 1) if number < pages else None,
            "previous": openedx_url(base, number - 1) if number > 1 else None,
            "count": total,
            "num_pages": pages,
        }
        out.append(b'{"results":[' + b",".join(results) + b'],"pagination":' + dumps(pagination))
        out[-1] += b"}"
    return out


# --- XuetangX ---------------------------------------------------------------------------------


def _china(when: datetime) -> datetime:
    return when.astimezone(CHINA)


def xuetangx_product(course: Course) -> dict[str, object]:
    """One item of ``get_product_list`` (terms' dates only for the newest, as the platform does)."""
    newest = course.runs[-1]
    span = [
        _china(newest.start).isoformat(),
        _china(newest.end).isoformat() if newest.end else None,
    ]
    modified = _china(course.modified).strftime("%Y-%m-%d %H:%M:%S")
    enrolled = 1000 + (course.index * 7919) % 500_000
    return {
        "id": 1_500_000 + course.index,
        "course_id": 1_500_000 + course.index,
        "name": course.title,
        "sign": course.sign,
        "course_sign": course.sign,
        "classroom_id": [r.classroom_id for r in course.runs],
        "short_intro": course.intro + " " + " ".join(OUTCOMES[course.language]) + "\u3000",
        "cover": f"https://qn-next.xuetangx.com/bench/{course.sign}.jpg",
        "org": {"name": ORG_NAMES[course.org]},
        "org_ids": [1 + sorted(ORG_NAMES).index(course.org)],
        "teacher": [
            {"name": t, "job_title": JOB_TITLES[course.language], "org": ORG_NAMES[course.org]}
            for t in course.teachers
        ],
        "classify": [str(1 + SUBJECTS[course.language].index(course.subjects[0]))],
        "classify_name": [course.subjects[0]],
        "tag_titles": list(course.subjects[1:]),
        "tag_ids": [7] if len(course.subjects) > 1 else [],
        "count": enrolled,
        "enroll_play_num": enrolled,
        "status": 2,
        "selling_status": 1,
        "selling_type": 1,
        "sell_type_name": "自主学习",
        "sale": False,
        "halt": False,
        "deleted": 0,
        "property": 0,
        "lecture": [],
        "live_status": [],
        "sku_class_time": [span],
        "term_ids": [newest.classroom_id],
        "created": "2019-01-03 16:49:21",
        "modified": modified,
        "_ut": modified,
    }


def xuetangx_pages(courses: list[Course]) -> list[bytes]:
    """``get_product_list`` pages; ``pages[k]`` answers ``?page=k+1``."""
    items = [dumps(xuetangx_product(c)) for c in courses]
    count = str(len(items)).encode()
    return [
        b'{"success":true,"data":{"count":'
        + count
        + b',"product_list":['
        + b",".join(chunk)
        + b"]}}"
        for chunk in chunks(items, XUETANGX_PAGE)
    ]


def xuetangx_past_end(total: int) -> bytes:
    """What the platform answers past the last page: the count and an empty list."""
    return b'{"success":true,"data":{"count":' + str(total).encode() + b',"product_list":[]}}'


def xuetangx_classroom(course: Course) -> bytes:
    """``/api/v1/lms/product/classroom/?sign=…``: every term, epoch milliseconds."""

    def term(r: Run) -> dict[str, object]:
        return {
            "classroom_id": r.classroom_id,
            "classroom_name": f"{r.start.year}年{'春夏秋'[TERM_MONTHS.index(r.start.month)]}",
            "class_start": int(r.start.timestamp() * 1000),
            "class_end": int(r.end.timestamp() * 1000) if r.end else None,
        }

    data = {"current": [term(course.runs[-1])], "history": [term(r) for r in course.runs[:-1]]}
    return dumps({"success": True, "data": data})


# --- OAI-PMH ----------------------------------------------------------------------------------

OAI_ROOT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
    'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
)
DC_OPEN = (
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ '
    'http://www.openarchives.org/OAI/2.0/oai_dc.xsd">'
)


def oai_identifier(course: Course) -> str:
    return f"oai:courses.bench.example:mooc/{course.key}"


def oai_record(course: Course) -> bytes:
    """One ``<record>`` in ``oai_dc``: the description is HTML escaped once, as DSpace sends it."""
    lang = course.language
    fields = [
        f'<dc:title xml:lang="{lang}">{escape(course.title)}</dc:title>',
        *(f"<dc:creator>{escape(t)}</dc:creator>" for t in course.teachers),
        *(f"<dc:subject>{escape(s)}</dc:subject>" for s in course.subjects),
        f'<dc:description xml:lang="{lang}">{escape(course.description)}</dc:description>',
        f"<dc:publisher>{escape(ORG_NAMES[course.org])}</dc:publisher>",
        f"<dc:date>{course.runs[-1].start.date().isoformat()}</dc:date>",
        "<dc:type>course</dc:type>",
        f"<dc:identifier>urn:bench:mooc:{escape(course.key)}</dc:identifier>",
        f"<dc:identifier>https://courses.bench.example/courses/{escape(course.key)}/about"
        "</dc:identifier>",
        f"<dc:language>{ISO_639_2[lang]}</dc:language>",
        "<dc:rights>CC BY-NC-SA 4.0</dc:rights>",
    ]
    return (
        f"<record><header><identifier>{escape(oai_identifier(course))}</identifier>"
        f"<datestamp>{iso_z(course.modified)}</datestamp><setSpec>mooc</setSpec>"
        f"<setSpec>mooc:{course.org.lower()}</setSpec></header><metadata>{DC_OPEN}"
        + "".join(fields)
        + "</oai_dc:dc></metadata></record>\n"
    ).encode("utf-8")


def oai_list_page(
    records: list[bytes],
    *,
    response_date: str,
    base_url: str,
    request: str,
    token: str | None,
    cursor: int,
    total: int,
    last: bool,
) -> bytes:
    """One ``ListRecords`` response; the last page of a list carries an empty token."""
    if last:
        resumption = f'<resumptionToken completeListSize="{total}" cursor="{cursor}"/>'
    else:
        resumption = (
            f'<resumptionToken completeListSize="{total}" cursor="{cursor}">{token}'
            "</resumptionToken>"
        )
    head = (
        f"{OAI_ROOT}<responseDate>{response_date}</responseDate>"
        f"<request {request}>{escape(base_url)}</request><ListRecords>\n"
    ).encode()
    tail = f"{resumption}</ListRecords></OAI-PMH>\n".encode()
    return head + b"".join(records) + tail


def oai_error(code: str, message: str, *, response_date: str, base_url: str) -> bytes:
    return (
        f"{OAI_ROOT}<responseDate>{response_date}</responseDate>"
        f'<request verb="ListRecords">{escape(base_url)}</request>'
        f'<error code="{code}">{escape(message)}</error></OAI-PMH>\n'
    ).encode()


def oai_identify(*, response_date: str, base_url: str) -> bytes:
    return (
        f"{OAI_ROOT}<responseDate>{response_date}</responseDate>"
        f'<request verb="Identify">{escape(base_url)}</request><Identify>'
        "<repositoryName>mooc-exchange benchmark repository</repositoryName>"
        f"<baseURL>{escape(base_url)}</baseURL><protocolVersion>2.0</protocolVersion>"
        "<adminEmail>bench@courses.bench.example</adminEmail>"
        f"<earliestDatestamp>{iso_z(FIRST_MODIFIED)}</earliestDatestamp>"
        "<deletedRecord>persistent</deletedRecord>"
        "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify></OAI-PMH>\n"
    ).encode()


# --- MOOChub v3 -------------------------------------------------------------------------------


def moochub_item(course: Course) -> dict[str, object]:
    """One MOOChub v3 course (JSON:API resource object)."""
    lang = course.language
    offers: list[dict[str, object]] = [
        {"price": 0, "priceCurrency": "VND", "paymentFrequency": "other", "category": "course"}
    ]
    if not course.free:
        offers.append(
            {
                "price": 1_500_000,
                "priceCurrency": "VND",
                "paymentFrequency": "one-time",
                "category": "certificate",
            }
        )
    first = course.runs[0]
    return {
        "id": f"bench-{course.index:08d}",
        "type": "Course",
        "attributes": {
            "name": course.title,
            "courseCode": course.number,
            "courseMode": ["online", "asynchronous" if first.pacing == "self" else "synchronous"],
            "description": course.description,
            "inLanguage": [lang],
            "startDate": [iso_z(r.start) for r in course.runs],
            "endDate": [iso_z(r.end) for r in course.runs],
            "image": {
                "type": "ImageObject",
                "contentUrl": f"/files/courses/{course.index}/visual.png",
            },
            "publisher": {
                "type": "Organization",
                "name": ORG_NAMES[course.org],
                "url": "https://courses.bench.example/",
            },
            "creator": [{"type": "Person", "name": t} for t in course.teachers],
            "url": f"https://mooc.bench.example/courses/{quote(course.key, safe='')}",
            "license": [
                {
                    "identifier": "CC-BY-SA-4.0",
                    "url": "https://spdx.org/licenses/CC-BY-SA-4.0.html",
                }
            ],
            "workload": {"timeValue": course.effort_hours, "timeUnit": "h/week"},
            "access": ["free"] if course.free else ["free", "paid"],
            "keywords": list(course.subjects),
            "offer": offers,
            "numberOfCredits": course.credits,
            "educationalCredentialsAwarded": ["certificate"],
            "applicationStartDate": iso_z(first.enrollment_start),
            "applicationDeadline": iso_z(first.enrollment_end),
            "dateCreated": "2024-11-02T03:00:00Z",
            "dateModified": iso_z(course.modified),
        },
    }


def moochub_url(base: str, page: int) -> str:
    return f"{base}/courses" if page == 1 else f"{base}/courses?page={page}"


def moochub_pages(courses: list[Course], base: str) -> list[bytes]:
    items = [dumps(moochub_item(c)) for c in courses]
    pages = max(1, -(-len(items) // MOOCHUB_PAGE))
    out = []
    for number, chunk in enumerate(chunks(items, MOOCHUB_PAGE) if items else [[]], start=1):
        links = {
            "self": moochub_url(base, number),
            "first": moochub_url(base, 1),
            "last": moochub_url(base, pages),
            "next": moochub_url(base, number + 1) if number < pages else None,
        }
        out.append(b'{"links":' + dumps(links) + b',"data":[' + b",".join(chunk) + b"]}")
    return out
