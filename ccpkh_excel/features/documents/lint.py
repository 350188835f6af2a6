"""`ccpkh-excel lint-docx`: check a .docx against the format of Nghị định 30/2020 (nd30).

Elements are found by what they say (Quốc hiệu, Tiêu ngữ, "Số:", the date line, tên loại,
căn cứ, "Nơi nhận:", the signing authority, "Phụ lục"), so any document can be checked, not
only ours. Formatting is resolved as Word does: the run, its character style, the paragraph
style chain, the document defaults.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ccpkh_excel.domain.vntext import clean, fold
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.documents import measure, nd30
from ccpkh_excel.features.documents.nd30 import Element

TWIPS_MM = 1440 / 25.4
DEFAULT_CELL_MARGIN = 108  # twips: Word's default left/right cell margin


def _to_mm(value: float, unit: str) -> float:
    return value * {"pt": 25.4 / 72, "mm": 1.0, "cm": 10.0, "in": 25.4, "px": 25.4 / 96, "emu": 1 / 36000}[unit]


def _vml_point(text: str) -> tuple[float, float] | None:
    """A VML point "150pt,0" / "3in,0" / "10,0" (plain numbers: pixels? no — VML points default to pt)."""
    out = []
    for part in text.split(",")[:2]:
        m = re.fullmatch(r"\s*(-?[\d.]+)(pt|mm|cm|in|px)?\s*", part)
        if not m:
            return None
        out.append(_to_mm(float(m.group(1)), m.group(2) or "pt"))
    return (out[0], out[1]) if len(out) == 2 else None


CAPTION = re.compile(r"^(Biểu đồ|Bảng|Hình|Sơ đồ) \d+[.:] ")  # a numbered caption, centred, not a body paragraph
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _w(tag: str) -> str:
    return W + tag


# the tags read for every paragraph and run (a province's BÁO CÁO has tens of thousands)
_P, _T, _R, _PPR, _RPR, _SECT, _TBL, _TR, _TC, _SDT, _SDT_CONTENT, _VAL = map(
    _w, ("p", "t", "r", "pPr", "rPr", "sectPr", "tbl", "tr", "tc", "sdt", "sdtContent", "val")
)
# for those, compiled paths and iterchildren: lxml's find() parses its path in Python on every call
_NS = {"w": W[1:-1]}
_PSTYLE = etree.XPath("w:pPr[1]/w:pStyle[1]", namespaces=_NS)  # as p.find(pPr).find(pStyle)
_SECT_PR = etree.XPath("w:pPr[1]/w:sectPr[1]", namespaces=_NS)


@dataclass(frozen=True)
class Deviation:
    element: str
    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.element}: {self.message}" + (f" ({self.where})" if self.where else "")


THEME_DEFAULTS = {"major": "Calibri Light", "minor": "Calibri"}  # Office's default theme


def _theme_fonts(doc) -> dict[str, str]:
    """The theme's major and minor Latin fonts ("Cambria"/"Calibri" …) of the document."""
    fonts = dict(THEME_DEFAULTS)
    try:
        part = next(rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/theme"))
    except StopIteration:
        return fonts
    from docx.oxml import parse_xml

    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    try:
        root = parse_xml(part.blob)
    except Exception:  # noqa: BLE001 - a damaged theme: Office's defaults
        return fonts
    for kind in ("major", "minor"):
        latin = root.find(f".//{a}{kind}Font/{a}latin")
        if latin is not None and latin.get("typeface"):
            fonts[kind] = latin.get("typeface")
    return fonts


class _Styles:
    """Run and paragraph properties through styles and defaults, as Word resolves them: a theme
    font (w:asciiTheme) wins over w:ascii in the same rFonts."""

    def __init__(self, doc):
        root = doc.styles.element
        self.theme = _theme_fonts(doc)
        self._inherited: dict[tuple, object] = {}
        self.styles = {s.get(_w("styleId")): s for s in root.findall(_w("style"))}
        self.default_r = root.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}")
        self.default_p = root.find(f"{_w('docDefaults')}/{_w('pPrDefault')}/{_w('pPr')}")
        default_para = next(
            (
                s
                for s in root.findall(_w("style"))
                if s.get(_w("type")) == "paragraph" and s.get(_w("default")) in ("1", "true")
            ),
            None,
        )
        self.default_para = default_para.get(_w("styleId")) if default_para is not None else None

    def _chain(self, sid):
        seen = set()
        while sid and sid not in seen and sid in self.styles:
            seen.add(sid)
            st = self.styles[sid]
            yield st
            based = st.find(_w("basedOn"))
            sid = based.get(_w("val")) if based is not None else None

    def _rprop(self, rpr, name):
        if rpr is None:
            return None
        if name == "size":
            el = rpr.find(_w("sz"))
            return int(el.get(_w("val"))) / 2 if el is not None else None
        if name == "font":
            el = rpr.find(_w("rFonts"))
            if el is None:
                return None
            theme = el.get(_w("asciiTheme")) or el.get(_w("hAnsiTheme"))
            if theme:
                return self.theme["major" if theme.startswith("major") else "minor"]
            return el.get(_w("ascii")) or el.get(_w("hAnsi"))
        if name == "underline":
            el = rpr.find(_w("u"))
            return None if el is None else el.get(_w("val"), "single") not in ("none", "0")
        if name == "color":
            el = rpr.find(_w("color"))
            return el.get(_w("val")) if el is not None else None
        el = rpr.find(_w({"bold": "b", "italic": "i", "caps": "caps"}[name]))
        if el is None:
            return None
        return el.get(_w("val"), "true") not in ("0", "false", "off")

    def run(self, r, p, name):
        rpr = next(r.iterchildren(_RPR), None)
        v = self._rprop(rpr, name)
        if v is not None:
            return v
        rs = rpr.find(_w("rStyle")) if rpr is not None else None
        key = (rs.get(_w("val")) if rs is not None else None, self._pstyle(p), name)
        if key not in self._inherited:  # the styles' part, the same for every run of these styles
            self._inherited[key] = self._from_styles(*key)
        return self._inherited[key]

    def _from_styles(self, rstyle, pstyle, name):
        for sid in (rstyle, pstyle):
            for st in self._chain(sid):
                v = self._rprop(st.find(_w("rPr")), name)
                if v is not None:
                    return v
        return self._rprop(self.default_r, name)

    def _pstyle(self, p):
        ps = _PSTYLE(p)
        return ps[0].get(_VAL) if ps else self.default_para

    def para(self, p, name):
        """jc, firstLine (twips), before/after (twips), line (240ths), lineRule, border."""

        def get(ppr):
            if ppr is None:
                return None
            if name == "jc":
                el = ppr.find(_w("jc"))
                return el.get(_w("val")) if el is not None else None
            if name == "firstLine":
                el = ppr.find(_w("ind"))
                return int(el.get(_w("firstLine"))) if el is not None and el.get(_w("firstLine")) else None
            if name in ("before", "after", "line", "lineRule"):
                el = ppr.find(_w("spacing"))
                v = el.get(_w(name)) if el is not None else None
                return (v if name == "lineRule" else int(v)) if v is not None else None
            if name == "border":
                return ppr.find(f"{_w('pBdr')}/{_w('bottom')}") is not None or None
            return None

        v = get(p.find(_w("pPr")))
        if v is not None:
            return v
        for st in self._chain(self._pstyle(p)):
            v = get(st.find(_w("pPr")))
            if v is not None:
                return v
        return get(self.default_p)


@dataclass(slots=True)
class _Para:
    el: object
    text: str
    section: int
    cell: object | None  # the w:tc it sits in, if any
    index: int


def _paragraphs(body) -> list[_Para]:
    out: list[_Para] = []
    section = 0

    def visit(container, cell):
        nonlocal section
        for child in container.iterchildren(_P, _TBL, _SDT):  # the others (tcPr …) not even made
            tag = child.tag
            if tag == _P:
                text = clean("".join([t.text or "" for t in child.iter(_T)]))
                out.append(_Para(child, text, section, cell, len(out)))
                if cell is None and _SECT_PR(child):
                    section += 1
            elif tag == _TBL:
                for tr in child.iterchildren(_TR):
                    for tc in tr.iterchildren(_TC):
                        visit(tc, tc)
            elif tag == _SDT:
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    visit(content, cell)

    visit(body, None)
    return out


class _Linter:
    def __init__(self, path: Path, ours: bool = False):
        import docx

        from ccpkh_excel.features.limits import Limits, check_docx

        self.path = path
        try:
            with zipfile.ZipFile(path) as z:
                if "word/document.xml" not in z.namelist():
                    raise zipfile.BadZipFile
            if not ours:  # a document just written from a checked template is bounded already
                check_docx(path, Limits.from_env())  # bounded before python-docx reads it
            self.doc = docx.Document(str(path))
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise CcpkhError("không phải tệp Word (.docx) hợp lệ.", path) from None
        self.styles = _Styles(self.doc)
        self.paras = _paragraphs(self.doc.element.body)
        self.out: list[Deviation] = []

    def add(self, element: str, message: str, p: _Para | None = None) -> None:
        where = f"«{p.text[:50]}»" if p is not None and p.text else ""
        self.out.append(Deviation(element, message, where))

    def runs(self, p: _Para):
        """The runs of p holding text (not only spaces)."""
        return [r for r in p.el.iter(_R) if any((t.text or "").strip() for t in r.iterchildren(_T))]

    def check_runs(self, p: _Para, el: Element) -> None:
        runs = self.runs(p)
        if not runs:
            return
        sizes = {self.styles.run(r, p.el, "size") for r in runs}
        lo, hi = el.sizes
        bad = [s for s in sizes if s is None or not lo <= s <= hi]
        if bad:
            want = f"{lo}" if lo == hi else f"{lo}–{hi}"
            self.add(el.name, f"cỡ chữ {', '.join(str(b) for b in bad)} pt, quy định {want} pt", p)
        for prop, want, label in (("bold", el.bold, "đậm"), ("italic", el.italic, "nghiêng")):
            if want is None:
                continue
            got = {bool(self.styles.run(r, p.el, prop)) for r in runs}
            if got != {want}:
                self.add(el.name, f"phải {'là' if want else 'không'} chữ {label}", p)
        if el.upper and p.text != p.text.upper() and not all(self.styles.run(r, p.el, "caps") for r in runs):
            self.add(el.name, "phải viết IN HOA", p)

    def align(self, p: _Para) -> str | None:
        return self.styles.para(p.el, "jc")

    # -- the checks ----------------------------------------------------------------------------
    def run_all(self) -> list[Deviation]:
        first = next((p for p in self.paras if p.text), None)
        if first is not None and re.match(r"^Phụ lục( [IVXLC]+)?$", first.text):
            # a phụ lục sent as its own file: no header, no signature; landscape allowed
            self.sections(appendix_only=True)
            self.fonts()
            self.page_numbers()
            self.appendices(first_section=0)
            return self.out
        self.sections()
        self.fonts()
        self.header()
        self.title_and_body()
        self.signature()
        self.page_numbers()
        self.appendices()
        return self.out

    def sections(self, appendix_only: bool = False) -> None:
        for i, sec in enumerate(self.doc.sections):
            name = "Trang giấy" + (f" (phần {i + 1})" if i else "")
            w, h = sec.page_width.mm, sec.page_height.mm
            if sorted((round(w), round(h))) != list(nd30.PAGE_MM):
                self.add(name, f"khổ {w:.0f}×{h:.0f} mm, quy định A4 (210×297 mm)")
            if i == 0 and w > h and not appendix_only:
                self.add(name, "trang đầu phải khổ dọc; chỉ phụ lục, bảng rộng mới được khổ ngang")
            for side, (lo, hi) in nd30.MARGINS_MM.items():
                v = getattr(sec, f"{side}_margin").mm
                tol = nd30.MARGIN_TOLERANCE_MM
                if not lo - tol <= v <= hi + tol:
                    label = {"top": "trên", "bottom": "dưới", "left": "trái", "right": "phải"}[side]
                    self.add(name, f"lề {label} {v:.1f} mm, quy định {lo}–{hi} mm")

    def fonts(self) -> None:
        bad, legacy, colours = set(), set(), set()
        seen: set = set()  # runs formatted alike (same rPr, same paragraph style) resolve alike
        from lxml.etree import tostring

        for p in self.paras:
            pstyle = self.styles._pstyle(p.el)
            for r in self.runs(p):
                rpr = next(r.iterchildren(_RPR), None)
                key = (tostring(rpr) if rpr is not None else b"", pstyle)
                if key in seen:
                    continue
                seen.add(key)
                font = self.styles.run(r, p.el, "font")
                if font and nd30.LEGACY_FONTS.match(font):
                    legacy.add(font)
                elif font and font != nd30.FONT:
                    bad.add(font)
                colour = self.styles.run(r, p.el, "color")
                if colour and colour.lower() not in ("000000", "auto"):
                    colours.add(colour)
        if legacy:
            self.add("Phông chữ", f"dùng phông mã cũ {', '.join(sorted(legacy))}; phải dùng {nd30.FONT} (Unicode)")
        if bad:
            self.add("Phông chữ", f"dùng {', '.join(sorted(bad))}; quy định {nd30.FONT}")
        if colours:
            self.add("Màu chữ", f"chữ màu {', '.join(sorted(colours))}; quy định màu đen")

    def _find(self, pred, section: int | None = 0) -> _Para | None:
        return next((p for p in self.paras if (section is None or p.section == section) and pred(p)), None)

    def _underlined(self, p: _Para) -> bool:
        runs = self.runs(p)
        return bool(runs) and all(self.styles.run(r, p.el, "underline") for r in runs)

    def _rule_after(self, p: _Para) -> bool:
        """A line under p: its text underlined, its own bottom border, or a bordered/drawn
        paragraph right after it."""
        if self.styles.para(p.el, "border") or self._underlined(p):
            return True
        nxt = self.paras[p.index + 1] if p.index + 1 < len(self.paras) else None
        if nxt is not None and nxt.cell is p.cell and not nxt.text:
            if (
                self.styles.para(nxt.el, "border")
                or any(True for _ in nxt.el.iter(_w("pict")))
                or any(True for _ in nxt.el.iter(_w("drawing")))
            ):
                return True
        return any(True for _ in p.el.iter(_w("pict"))) or any(True for _ in p.el.iter(_w("drawing")))

    def header(self) -> None:
        qh = self._find(lambda p: fold(p.text) == fold(nd30.QUOC_HIEU_TEXT))
        if qh is None:
            self.add(nd30.QUOC_HIEU.name, "không thấy dòng 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM'")
        else:
            self.check_runs(qh, nd30.QUOC_HIEU)
        tn = self._find(lambda p: fold(p.text) == fold(nd30.TIEU_NGU_TEXT))
        if tn is None:
            self.add(nd30.TIEU_NGU.name, f"không thấy dòng '{nd30.TIEU_NGU_TEXT}'")
        else:
            self.check_runs(tn, nd30.TIEU_NGU)
            if tn.text != nd30.TIEU_NGU_TEXT:
                self.add(nd30.TIEU_NGU.name, f"phải viết đúng '{nd30.TIEU_NGU_TEXT}' (gạch nối có cách chữ)", tn)
            if not self._rule_after(tn):
                self.add(nd30.TIEU_NGU.name, "thiếu đường kẻ ngang dưới Tiêu ngữ", tn)
            else:
                self.check_tieu_ngu_line(tn)
            self.one_line(tn, nd30.TIEU_NGU)
        if qh is not None:
            self.one_line(qh, nd30.QUOC_HIEU)
        so = self._find(lambda p: p.text.startswith("Số:") or p.text.startswith("Số :"))
        if so is None:
            self.add(nd30.SO_KY_HIEU.name, "không thấy dòng 'Số: …'")
        else:
            self.check_runs(so, nd30.SO_KY_HIEU)
            if not nd30.SO_PATTERN.match(so.text):
                self.add(nd30.SO_KY_HIEU.name, "phải có dạng 'Số: 05/KH-UBND' (số dưới 10 thêm 0)", so)
            # the agency: the last non-empty paragraph above "Số:" in the same cell, before its rule
            if so.cell is not None:
                cell_paras = [
                    p
                    for p in self.paras
                    if p.cell is not None
                    and p.index < so.index
                    and p.text
                    and p.section == 0
                    and p.el.getparent() is not None
                ]
                left = [p for p in cell_paras if p.cell is not qh.cell] if qh else cell_paras
                left = [p for p in left if self._same_column(p, so)]
                if left:
                    agency = left[-1]
                    self.check_runs(agency, nd30.BAN_HANH)
                    if not self._rule_after(agency):
                        self.add(nd30.BAN_HANH.name, "thiếu đường kẻ ngang dưới tên cơ quan ban hành", agency)
                    else:
                        self.check_agency_line(agency)
                    for parent in left[:-1]:
                        self.check_runs(parent, nd30.CHU_QUAN)
        date = self._find(lambda p: ", ngày" in p.text and "năm" in p.text and p.cell is not None)
        if date is None:
            self.add(nd30.DIA_DANH.name, "không thấy dòng địa danh, ngày tháng năm")
        else:
            self.check_runs(date, nd30.DIA_DANH)
            if not nd30.DATE_PATTERN.match(date.text):
                self.add(
                    nd30.DIA_DANH.name,
                    "phải có dạng 'Hà Nội, ngày 05 tháng 02 năm 2026' (ngày dưới 10 và tháng 1, 2 thêm 0)",
                    date,
                )
            if (
                so is not None
                and so.cell is not None
                and date.cell is not None
                and so.cell.getparent() is not date.cell.getparent()
            ):
                self.add(nd30.DIA_DANH.name, "phải nằm cùng hàng với Số, ký hiệu", date)

    # -- lengths on the page ------------------------------------------------------------------------
    def _size_bold(self, p: _Para) -> tuple[float, bool]:
        runs = self.runs(p)
        if not runs:
            return 13.0, False
        return float(self.styles.run(runs[0], p.el, "size") or 12), bool(self.styles.run(runs[0], p.el, "bold"))

    def _box_mm(self, p: _Para) -> float:
        """The width text can take where p sits: its cell less the cell margins, or the page."""
        if p.cell is None:
            sec = self.doc.sections[min(p.section, len(self.doc.sections) - 1)]
            return sec.page_width.mm - sec.left_margin.mm - sec.right_margin.mm
        tc = p.cell
        width = None
        tcw = tc.find(f"{_w('tcPr')}/{_w('tcW')}")
        if tcw is not None and tcw.get(_w("type"), "dxa") == "dxa" and tcw.get(_w("w")):
            width = int(tcw.get(_w("w"))) / TWIPS_MM
        tbl = tc.getparent().getparent()
        if width is None:
            cols = [int(g.get(_w("w")) or 0) / TWIPS_MM for g in tbl.iter(_w("gridCol"))]
            index = [c for c in tc.getparent() if c.tag == _w("tc")].index(tc)
            width = cols[index] if index < len(cols) else 0.0
        margins = 0.0
        mar = tbl.find(f"{_w('tblPr')}/{_w('tblCellMar')}")
        for side in (("left", "start"), ("right", "end")):
            el = None
            if mar is not None:
                el = next((mar.find(_w(x)) for x in side if mar.find(_w(x)) is not None), None)
            margins += (int(el.get(_w("w"))) if el is not None and el.get(_w("w")) else DEFAULT_CELL_MARGIN) / TWIPS_MM
        return width - margins

    def _indents(self, el) -> tuple[float, float]:
        ind = el.find(f"{_w('pPr')}/{_w('ind')}")
        if ind is None:
            return 0.0, 0.0
        left = ind.get(_w("left")) or ind.get(_w("start")) or "0"
        right = ind.get(_w("right")) or ind.get(_w("end")) or "0"
        return int(left) / TWIPS_MM, int(right) / TWIPS_MM

    def _shape_mm(self, el) -> float | None:
        for ext in el.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"):
            return int(ext.get("cx", "0")) / 36000
        for line in el.iter("{urn:schemas-microsoft-com:vml}line"):
            a, b = (_vml_point(line.get(k, "0,0")) for k in ("from", "to"))
            if a is not None and b is not None:
                return abs(b[0] - a[0])
        for shape in el.iter("{urn:schemas-microsoft-com:vml}shape"):
            m = re.search(r"width:\s*([\d.]+)(pt|mm|cm|in|px)?", shape.get("style", ""))
            if m:
                return _to_mm(float(m.group(1)), m.group(2) or "px")
        return None

    def _rule(self, p: _Para) -> tuple[float, bool] | None:
        """(length in mm, centred) of the line under p, when it can be measured."""
        size, bold = self._size_bold(p)
        if self._underlined(p):
            return measure.text_mm(p.text, size, bold), True
        candidates = [p]
        nxt = self.paras[p.index + 1] if p.index + 1 < len(self.paras) else None
        if nxt is not None and nxt.cell is p.cell and not nxt.text:
            candidates.append(nxt)
        for q in reversed(candidates):
            if q is not p and self.styles.para(q.el, "border"):
                left, right = self._indents(q.el)
                return self._box_mm(q) - left - right, abs(left - right) <= 2.0
            shape = self._shape_mm(q.el)
            if shape is not None:
                return shape, True
        if self.styles.para(p.el, "border"):  # p's own bottom border: as long as p's box
            left, right = self._indents(p.el)
            return self._box_mm(p) - left - right, abs(left - right) <= 2.0
        return None

    def check_tieu_ngu_line(self, tn: _Para) -> None:
        rule = self._rule(tn)
        if rule is None:
            return
        size, bold = self._size_bold(tn)
        want = measure.text_mm(tn.text, size, bold)
        if abs(rule[0] - want) > max(3.0, 0.1 * want):
            self.add(
                nd30.TIEU_NGU.name,
                f"đường kẻ dưới Tiêu ngữ dài {rule[0]:.0f} mm, phải bằng dòng chữ Tiêu ngữ (khoảng {want:.0f} mm)",
                tn,
            )

    def check_agency_line(self, agency: _Para) -> None:
        rule = self._rule(agency)
        if rule is None:
            return
        size, bold = self._size_bold(agency)
        widest = measure.widest_line_mm(agency.text, size, bold, self._box_mm(agency))
        length, centred = rule
        if widest and not (1 / 3 - 0.04) * widest <= length <= (1 / 2 + 0.04) * widest:
            self.add(
                nd30.BAN_HANH.name,
                f"đường kẻ dưới tên cơ quan dài {length:.0f} mm, quy định 1/3–1/2 dòng chữ "
                f"({widest / 3:.0f}–{widest / 2:.0f} mm)",
                agency,
            )
        if not centred:
            self.add(nd30.BAN_HANH.name, "đường kẻ dưới tên cơ quan phải ở giữa dòng chữ", agency)

    def one_line(self, p: _Para, el: Element) -> None:
        size, bold = self._size_bold(p)
        box = self._box_mm(p)
        if box > 0 and measure.text_mm(p.text, size, bold) > box + 0.5:
            self.add(el.name, f"phải nằm trên một dòng (chữ dài hơn ô {box:.0f} mm)", p)

    def _same_column(self, p: _Para, ref: _Para) -> bool:
        """p sits in the same table column as ref (the left column of the header table)."""

        def col(cell):
            row = cell.getparent()
            return list(row).index(cell) - sum(1 for c in row if c.tag != _w("tc"))

        try:
            return col(p.cell) == col(ref.cell) and p.cell.getparent().getparent() is ref.cell.getparent().getparent()
        except (ValueError, AttributeError):
            return False

    KINDS = ("KẾ HOẠCH", "BÁO CÁO", "TỜ TRÌNH", "QUYẾT ĐỊNH", "THÔNG BÁO", "CHƯƠNG TRÌNH", "HƯỚNG DẪN")

    def title_and_body(self) -> None:
        kind = self._find(lambda p: p.cell is None and p.text.upper() in self.KINDS)
        end = self._signature_start()
        if kind is not None:
            self.check_runs(kind, nd30.TEN_LOAI)
            if self.align(kind) != "center":
                self.add(nd30.TEN_LOAI.name, "phải canh giữa", kind)
            summary = next((p for p in self.paras[kind.index + 1 :] if p.text), None)
            if summary is not None:
                self.check_runs(summary, nd30.TRICH_YEU)
                if not self._rule_after(summary):
                    self.add(nd30.TRICH_YEU.name, "thiếu đường kẻ ngang dưới trích yếu", summary)
            start = summary.index + 1 if summary else kind.index + 1
        else:
            vv = self._find(lambda p: p.text.startswith("V/v"))
            if vv is not None:
                self.check_runs(vv, nd30.V_V)
            start = (
                (
                    max(
                        p.index
                        for p in self.paras
                        if p.cell is not None and p.section == 0 and p.index < (end or 10**9)
                    )
                    + 1
                )
                if any(p.cell is not None for p in self.paras)
                else 0
            )
        basis = []  # the legal bases: the "Căn cứ …;" lines opening the text (not a sentence starting so)
        for p in self.paras[start:end]:
            if p.section != 0 or p.cell is not None or not p.text:
                continue
            if not p.text.startswith("Căn cứ") or p.text.endswith(":"):
                break
            basis.append(p)
        for p in basis:
            self.check_runs(p, nd30.CAN_CU)
            if not p.text.endswith((";", ".", ",")):
                self.add(nd30.CAN_CU.name, "mỗi căn cứ kết thúc bằng dấu chấm phẩy (căn cứ cuối: dấu chấm)", p)
        for p in self.paras[start:end]:
            if (
                p.section != 0
                or p.cell is not None
                or len(p.text) < 40
                or p in basis
                or CAPTION.match(p.text)
                or p.text.startswith("Kính gửi")
            ):
                continue
            self.check_runs(p, nd30.NOI_DUNG)
            if self.align(p) != "both":
                self.add(nd30.NOI_DUNG.name, "đoạn văn phải canh đều hai lề", p)
            fl = self.styles.para(p.el, "firstLine")
            lo, hi = (round(c * 567) for c in nd30.FIRST_LINE_CM)
            if fl is None or not lo - 15 <= fl <= hi + 15:
                self.add(nd30.NOI_DUNG.name, "lùi đầu dòng phải 1 cm hoặc 1,27 cm", p)
            gap = max(self.styles.para(p.el, "before") or 0, self.styles.para(p.el, "after") or 0)
            if gap < nd30.SPACING_MIN_PT * 20:
                self.add(nd30.NOI_DUNG.name, f"khoảng cách đoạn {gap / 20:g} pt, tối thiểu {nd30.SPACING_MIN_PT} pt", p)
            line, rule = self.styles.para(p.el, "line"), self.styles.para(p.el, "lineRule")
            if line is not None and rule in (None, "auto"):
                if not nd30.LINE_SPACING[0] * 240 - 1 <= line <= nd30.LINE_SPACING[1] * 240 + 1:
                    self.add(nd30.NOI_DUNG.name, f"giãn dòng {line / 240:.2f}, quy định từ dòng đơn đến 1,5 dòng", p)
            elif line is not None and rule == "exact":
                size = self.styles.run(self.runs(p)[0], p.el, "size") or 14
                if line / 20 < 1.15 * size - 0.5:
                    self.add(nd30.NOI_DUNG.name, f"giãn dòng cố định {line / 20:g} pt nhỏ hơn dòng đơn", p)

    def _signature_start(self) -> int | None:
        nn = self._find(lambda p: p.text.startswith("Nơi nhận"))
        return nn.index if nn else None

    def signature(self) -> None:
        nn = self._find(lambda p: p.text.startswith("Nơi nhận"))
        if nn is None:
            self.add(nd30.NOI_NHAN.name, "không thấy 'Nơi nhận:'")
            return
        self.check_runs(nn, nd30.NOI_NHAN)
        items = [p for p in self.paras[nn.index + 1 :] if p.cell is nn.cell and p.text]
        for p in items:
            self.check_runs(p, nd30.NOI_NHAN_LIST)
        if items and not items[-1].text.startswith("- Lưu"):
            self.add(nd30.NOI_NHAN_LIST.name, "dòng cuối phải là '- Lưu: VT, …'", items[-1])
        if nn.cell is None:
            return
        row = nn.cell.getparent()
        others = [tc for tc in row.findall(_w("tc")) if tc is not nn.cell]
        right = [p for p in self.paras if p.cell in others and p.text]
        if not right:
            self.add(nd30.QUYEN_HAN.name, "không thấy khối chữ ký bên phải 'Nơi nhận'")
            return
        *titles, name = right
        for p in titles:
            self.check_runs(p, nd30.QUYEN_HAN)
        if (
            titles
            and titles[0].text[:4].upper().startswith(("TM", "KT", "Q.", "TL", "TU"))
            and not nd30.AUTHORITY.match(titles[0].text)
        ):
            self.add(
                nd30.QUYEN_HAN.name, "quyền hạn ký viết 'TM.', 'KT.', 'Q.', 'TL.', 'TUQ.' rồi một dấu cách", titles[0]
            )
        self.check_runs(name, nd30.HO_TEN)
        if nd30.NAME_TITLES.match(name.text):
            self.add(nd30.HO_TEN.name, "không ghi học hàm, học vị trước họ tên", name)

    def page_numbers(self) -> None:
        sec = self.doc.sections[0]
        if not sec.different_first_page_header_footer:
            self.add(nd30.SO_TRANG.name, "trang đầu không được đánh số (bật 'trang đầu khác')")
        header = sec.header._element if not sec.header.is_linked_to_previous else None
        has_field = header is not None and (
            any("PAGE" in (f.get(_w("instr")) or "") for f in header.iter(_w("fldSimple")))
            or any("PAGE" in (t.text or "") for t in header.iter(_w("instrText")))
        )
        if not has_field:
            self.add(nd30.SO_TRANG.name, "thiếu số trang ở lề trên (đầu trang), giữa")
        else:
            for p in header.iter(_w("p")):
                if any(True for _ in p.iter(_w("fldSimple"))) or any(True for _ in p.iter(_w("instrText"))):
                    jc = p.find(f"{_w('pPr')}/{_w('jc')}")
                    if jc is None or jc.get(_w("val")) != "center":
                        self.add(nd30.SO_TRANG.name, "số trang phải canh giữa")
                    for sz in p.iter(_w("sz")):
                        size = int(sz.get(_w("val"))) / 2
                        if not nd30.SO_TRANG.sizes[0] <= size <= nd30.SO_TRANG.sizes[1]:
                            self.add(nd30.SO_TRANG.name, f"cỡ chữ số trang {size:g} pt, quy định 13–14 pt")
        for i, section in enumerate(self.doc.sections):
            if not section.different_first_page_header_footer:
                continue
            first = section.first_page_header
            if first.is_linked_to_previous and i == 0:
                continue
            el = first._element
            if any("PAGE" in (f.get(_w("instr")) or "") for f in el.iter(_w("fldSimple"))) or any(
                "PAGE" in (t.text or "") for t in el.iter(_w("instrText"))
            ):
                where = "trang đầu" if i == 0 else f"trang đầu của phần {i + 1}"
                self.add(nd30.SO_TRANG.name, f"{where} có số trang (đầu trang của trang đầu); trang 1 không đánh số")
                break
        footer = sec.footer._element
        if any("PAGE" in (f.get(_w("instr")) or "") for f in footer.iter(_w("fldSimple"))):
            self.add(nd30.SO_TRANG.name, "số trang đặt ở chân trang; quy định ở lề trên")

    def appendices(self, first_section: int = 1) -> None:
        labels = [
            p
            for p in self.paras
            if p.section >= first_section and p.cell is None and re.match(r"^Phụ lục( [IVXLC]+)?$", p.text)
        ]
        for p in labels:
            self.check_runs(p, nd30.PHU_LUC)
            if self.align(p) != "center":
                self.add(nd30.PHU_LUC.name, "phải canh giữa", p)
            following = [q for q in self.paras[p.index + 1 : p.index + 6] if q.text]
            if following:
                self.check_runs(following[0], nd30.PHU_LUC_TITLE)
            kem = next((q for q in following if q.text.startswith("(Kèm theo")), None)
            if kem is None:
                self.add(nd30.KEM_THEO.name, "thiếu dòng '(Kèm theo … số … ngày … của …)' dưới tên phụ lục", p)
            else:
                self.check_runs(kem, nd30.KEM_THEO)
        for i, sec in enumerate(self.doc.sections[1:], start=1):
            pg = sec._sectPr.find(_w("pgNumType"))
            if labels and first_section and (pg is None or pg.get(_w("start")) != "1"):
                self.add(nd30.PHU_LUC.name, f"phụ lục (phần {i + 1}) phải đánh số trang riêng, bắt đầu từ 1")
        if len(labels) >= 2 and any(p.text == "Phụ lục" for p in labels):
            self.add(nd30.PHU_LUC.name, "có từ hai phụ lục trở lên thì đánh số La Mã: Phụ lục I, Phụ lục II")
        for p in labels:
            tbl = p.el.getnext()
            while tbl is not None and tbl.tag != _w("tbl"):
                tbl = tbl.getnext()
            if tbl is not None:
                first_row = tbl.find(_w("tr"))
                if first_row is not None and first_row.find(f"{_w('trPr')}/{_w('tblHeader')}") is None:
                    self.add(nd30.PHU_LUC.name, "dòng tiêu đề bảng phụ lục phải lặp lại ở mỗi trang", p)


def fit_and_lint(path: Path) -> list[Deviation]:
    """`fit_rules`, then `lint`, on a document just written from a template: read once."""
    linter = _Linter(Path(path), ours=True)
    _fit(linter)
    return linter.run_all()


def fit_rules(path: Path) -> None:
    """Set the lengths of the lines under the Tiêu ngữ (as long as it), the agency's name and the
    trích yếu (2/5 of their widest line), centred, in a document written from a template."""
    _fit(_Linter(Path(path), ours=True))


def _fit(linter: _Linter) -> None:
    from docx.shared import Mm

    targets = []
    tn = linter._find(lambda p: fold(p.text) == fold(nd30.TIEU_NGU_TEXT))
    if tn is not None:
        size, bold = linter._size_bold(tn)
        targets.append((tn, measure.text_mm(tn.text, size, bold)))
    so = linter._find(lambda p: p.text.startswith("Số:"))
    qh = linter._find(lambda p: fold(p.text) == fold(nd30.QUOC_HIEU_TEXT))
    if so is not None and so.cell is not None:
        left = [
            p
            for p in linter.paras
            if p.cell is not None and p.index < so.index and p.text and (qh is None or p.cell is not qh.cell)
        ]
        if left:
            agency = left[-1]
            size, bold = linter._size_bold(agency)
            targets.append((agency, 0.4 * measure.widest_line_mm(agency.text, size, bold, linter._box_mm(agency))))
    kind = linter._find(lambda p: p.cell is None and p.text.upper() in _Linter.KINDS)
    if kind is not None:
        summary = next((p for p in linter.paras[kind.index + 1 :] if p.text), None)
        if summary is not None:
            size, bold = linter._size_bold(summary)
            targets.append((summary, 0.4 * measure.widest_line_mm(summary.text, size, bold, linter._box_mm(summary))))
    changed = False
    for p, length in targets:
        nxt = linter.paras[p.index + 1] if p.index + 1 < len(linter.paras) else None
        if nxt is None or nxt.cell is not p.cell or nxt.text or not linter.styles.para(nxt.el, "border"):
            continue
        side = max((linter._box_mm(nxt) - length) / 2, 0)
        from docx.text.paragraph import Paragraph

        fmt = Paragraph(nxt.el, None).paragraph_format
        fmt.left_indent = fmt.right_indent = Mm(side)
        changed = True
    if changed:
        linter.doc.save(str(linter.path))


def lint(path: Path) -> list[Deviation]:
    """Every deviation of a .docx from the official format; empty when it conforms."""
    return _Linter(Path(path)).run_all()
