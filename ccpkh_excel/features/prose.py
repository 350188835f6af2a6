"""Tasks from a programme that assigns duties in prose, unit by unit, in its section
"Tổ chức thực hiện" (with or without diacritics, and as garbled as OCR reads it):

    VI. TỔ CHỨC THỰC HIỆN
    1. Sở Nội vụ
    a) Là cơ quan thường trực, chủ trì … phối hợp với Sở Tài chính …
    b) Chủ trì, tham mưu …
    2. Sở Tài chính: bố trí kinh phí …

One task per lettered point (one per unit when it has none); lead = the unit or group the
numbered heading names; cooperating units = the known units after "phối hợp với"; deadline =
"Thường xuyên" where the point says so, else the end of the programme's period ("giai đoạn
2026 - 2030" → Năm 2030). Nothing outside the section is a task (Căn cứ, Điều 2, Nơi nhận).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ccpkh_excel.domain.plan import Task
from ccpkh_excel.domain.units import VAGUE, Directory
from ccpkh_excel.domain.vntext import clean, ocr_fold
from ccpkh_excel.features.name_review import Origin

SECTION = "Tổ chức thực hiện"
_SECTION_KEY = "to chuc thuc hien"
_LETTERS = "abcdđeghiklmnopqrstuvxy"
# Titles before the unit in a heading ("Giám đốc Sở Nội vụ", "Thủ trưởng các cơ quan").
_TITLES = ("giam doc ", "thu truong ", "chu tich ", "nguoi dung dau ", "lanh dao ", "truong ")
# Lines that close the section.
_ENDS = ("noi nhan", "tm ", "kt ", "dieu ")


@dataclass
class ProseTasks:
    tasks: list[Task] = field(default_factory=list)
    origins: list = field(default_factory=list)  # importing.Origin, one per task
    skipped: list[str] = field(default_factory=list)
    section: str = SECTION


def _plain(text: str) -> str:
    """Lower case without diacritics, one character for one: positions match `text`."""
    out = []
    for ch in text:
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        base = (base or ch)[:1].lower()
        out.append("d" if base == "đ" else base)
    return "".join(out)


def _is_section_heading(line: str) -> bool:
    if len(line) > 60:
        return False
    key = ocr_fold(line)
    key = re.sub(r"^(?:[ivxl1]{1,5}|\d{1,2}|dieu \d{1,2})\s+", "", key)
    if key == _SECTION_KEY:
        return True
    from rapidfuzz import fuzz

    return fuzz.ratio(key, _SECTION_KEY) >= 85


_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}


def _roman(line: str) -> int | None:
    """The value of the roman numeral a heading opens with ("VII. KINH PHÍ" → 7), else None."""
    m = re.match(r"^([IVXL]{1,6})\s*[.:)]\s*\S", line)
    if not m:
        return None
    digits = [_ROMAN_VALUES[c] for c in m.group(1)]
    return sum(-d if d < n else d for d, n in zip(digits, digits[1:] + [0], strict=True))


def _ends_section(line: str, section: int | None) -> bool:
    """True for the line after the section: the next roman heading (a higher number than the
    section's, or in capitals), Điều N, Nơi nhận, the signature block."""
    key = ocr_fold(line)
    if any(key.startswith(e) for e in _ENDS) and (not key.startswith("dieu ") or re.match(r"dieu \d", key)):
        return True
    value = _roman(line)
    if value is None or _is_section_heading(line):
        return False
    letters = [c for c in line if c.isalpha()]
    capitals = sum(c.isupper() for c in letters) >= 0.8 * len(letters)
    return (section is not None and value > section) or capitals


_HEADING = re.compile(r"^\s*(\d{1,2})\s*\.\s*(\S.*)$")
_POINT = re.compile(r"^\s*([^\s\d().,;:]|\d)\s*[)}\]]\s*(\S.*)$")


def _unit_heading(line: str, directory: Directory | None = None) -> tuple[str, str, str] | None:
    """(number, unit as written, duty written on the same line) of "2. Sở Nội vụ: …"."""
    m = _HEADING.match(line)
    if not m:
        return None
    number, rest = m.group(1), m.group(2).strip()
    name, _, duty = rest.partition(":")
    if directory is not None and rest.count(":") > 1:  # "Các Sở: Xây dựng, …: chủ trì …"
        parts = rest.split(":")
        for k in range(len(parts) - 1, 1, -1):
            if directory.names_units(":".join(parts[:k])):
                name, duty = ":".join(parts[:k]), ":".join(parts[k:])
                break
    name = name.strip(" .-–")
    if not name or len(name) > 120:
        return None
    plain = _plain(name)
    for title in _TITLES:
        if plain.startswith(title) and len(name) > len(title):
            name = name[len(title) :].strip()
            break
    return number, name, duty.strip()


def _join(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if text.endswith("-") and len(text) > 1 and text[-2].isalnum() and line[:1].islower():
            text += line
        else:
            text = f"{text} {line}" if text else line
    return clean(text)


def cooperators(text: str, directory: Directory | None) -> str:
    """The known units (or groups) named after "phối hợp với" in a duty; "" when none.

    The list is the longest run of words after "phối hợp với" (up to a stop: . ; : or a
    parenthesis) whose every name is a unit, a group or, read tolerantly, clearly one unit."""
    if directory is None:
        return ""
    plain = _plain(text)
    names: list[str] = []
    for m in re.finditer(r"ph[o0]i\s*h[o0]p\s+v[o0]i\s+", plain):
        start = m.end()
        stop = re.search(r"[.;:()]", text[start:])
        words = text[start : start + stop.start() if stop else len(text)].split()[:40]
        names.extend(_unit_run(words, directory))
    return ", ".join(dict.fromkeys(names))


def _unit_run(words: list[str], directory: Directory) -> list[str]:
    """The names of the longest run of `words` that are all units or groups; read tolerantly
    (OCR) when none is: then the run whose guesses score best."""
    best: tuple[float, int, list[str]] = (0.0, 0, [])
    for k in range(len(words), 0, -1):
        matches = directory.explain(" ".join(words[:k]).strip(" ,"))
        named = [x for x in matches if x.how != VAGUE]
        if not named:
            continue
        if all(x.codes for x in named):
            return [x.text for x in named]
        scores = []
        for x in named:
            guess = None if x.codes else directory.guess(x.text)
            scores.append(100.0 if x.codes else (guess.score if guess else 0.0))
        if min(scores) > best[0]:
            best = (min(scores), k, [x.text for x in named])
    return best[2]


_KINDS = ("ke hoach", "chuong trinh", "quyet dinh", "de an", "nghi quyet")
_PERIOD = re.compile(r"giai\s*do[a-z]n\s+([0-9oil]{4})\s*[-–—]\s*([0-9oil]{4})")
_YEAR = re.compile(r"nam\s+([0-9oil]{4})\b")


def programme_end(paragraphs: list[str]) -> str:
    """The deadline of a duty without its own: the end of the period the document's title names
    ("… giai đoạn 2026 - 2030" → "Năm 2030") or its title's year ("… năm 2026" → "Năm 2026");
    without a title, the period or year the text names most. "" when none is written."""
    title = []
    for i, line in enumerate(paragraphs[:60]):
        if ocr_fold(line) in _KINDS:
            title = [_plain(x) for x in paragraphs[i + 1 : i + 3]]
            break
    for text in title:  # the title's first line decides; a title wrapped over two lines, the second
        if m := _PERIOD.search(text):
            if end := _year(m.group(2)):
                return f"Năm {end}"
        if m := _YEAR.search(text):
            if y := _year(m.group(1)):
                return f"Năm {y}"
    ends: Counter[int] = Counter()
    years: Counter[int] = Counter()
    for line in paragraphs[:400]:
        plain = _plain(line)
        if re.search(r"ngay\s+\S+\s+thang", plain):
            continue  # "Thái Nguyên, ngày 27 tháng 12 năm 2025": the date of signing
        for m in _PERIOD.finditer(plain):
            if end := _year(m.group(2)):
                ends[end] += 1
        for m in _YEAR.finditer(plain):
            if y := _year(m.group(1)):
                years[y] += 1
    if ends:
        return f"Năm {ends.most_common(1)[0][0]}"
    if years:
        return f"Năm {years.most_common(1)[0][0]}"
    return ""


def _year(text: str) -> int | None:
    digits = text.translate(str.maketrans("oil", "011"))
    return int(digits) if digits.isdigit() and 2000 <= int(digits) <= 2100 else None


def read_prose(paragraphs: list[str], directory: Directory | None) -> ProseTasks | None:
    """The tasks the "Tổ chức thực hiện" section assigns; None when there is no such section."""
    starts = [i for i, line in enumerate(paragraphs) if _is_section_heading(line)]
    if not starts:
        return None
    end_deadline = programme_end(paragraphs)
    out = ProseTasks()
    for start in starts:
        units: list[tuple[str, str, list[list[str]], list[str]]] = []  # number, name, points, text
        closed = False
        section = _roman(paragraphs[start])
        body = paragraphs[start + 1 :]
        skip = False
        for k, line in enumerate(body):
            if skip:
                skip = False
                continue
            if _ends_section(line, section):
                break
            heading = _unit_heading(line, directory)
            if (
                heading is not None
                and directory is not None
                and k + 1 < len(body)
                and ":" in body[k + 1]
                and not directory.names_units(heading[1])
                and not directory.guess(heading[1])
            ):  # a heading the page wrapped: "8. Các Sở: Xây dựng, …, Ban Quản lý các⏎Khu Công nghiệp: …"
                joined = _unit_heading(f"{line} {body[k + 1]}", directory)
                if joined is not None and directory.names_units(joined[1]):
                    heading, skip = joined, True
            if heading is None and _roman(line) is not None and directory is not None:
                # "2." read by OCR as "II.": a heading when what follows names a unit
                as_arabic = _unit_heading(re.sub(r"^[IVXL]{1,6}", "0", line))
                if as_arabic and (directory.names_units(as_arabic[1]) or directory.guess(as_arabic[1])):
                    previous = int(units[-1][0]) if units and units[-1][0].isdigit() else 0
                    heading = (str(previous + 1), as_arabic[1], as_arabic[2])
            if heading is not None:
                closed = False
                number, name, duty = heading
                units.append((number, name, [], [duty] if duty else []))
                continue
            if not units:
                out.skipped.append(f"mục {SECTION}: '{line[:60]}' (trước phần phân công)")
                continue
            point = _POINT.match(line)
            if point:
                units[-1][2].append([point.group(2)])
                closed = False
            elif closed:
                out.skipped.append(f"mục {SECTION}: '{line[:60]}' (không thuộc điểm nào)")
            elif units[-1][2]:
                last = units[-1][2][-1]
                if last[-1].rstrip().endswith(".") and line[:1].isupper():
                    closed = True  # a new paragraph after the points: not part of the last one
                    out.skipped.append(f"mục {SECTION}: '{line[:60]}' (không thuộc điểm nào)")
                else:
                    last.append(line)
            else:
                units[-1][3].append(line)
        for number, name, points, text in units:
            duties = [_join(p) for p in points] if points else ([_join(text)] if text else [])
            if points and text:  # a sentence before the points belongs to them all: kept on the first
                duties[0] = _join(text + [duties[0]])
            for k, duty in enumerate(duties):
                if not duty:
                    continue
                stt = f"{number}.{_LETTERS[k] if k < len(_LETTERS) else k + 1}" if points else number
                thuong_xuyen = re.search(r"\bth[a-z]{1,3}ng xu[a-z]{0,2}n\b", ocr_fold(duty)) is not None
                out.tasks.append(
                    Task(
                        stt=stt,
                        field=SECTION,
                        content=duty,
                        lead=name,
                        coop=cooperators(duty, directory),
                        deadline="Thường xuyên" if thuong_xuyen else end_deadline,
                    )
                )
                out.origins.append(Origin(f"mục {SECTION}, điểm {stt}", None, name, "", out.tasks[-1].deadline))
        if out.tasks:
            break
    return out
