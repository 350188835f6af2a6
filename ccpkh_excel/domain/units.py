"""Units (đơn vị) and how the names written in a plan resolve to them.

A cell such as "Văn phòng UBND tỉnh, các sở, ban, ngành; UBND cấp xã" is split into
pieces that are names — on ";", "," and "và", but only where every piece is a name, so
"Sở Văn hóa, Thể thao và Du lịch" and "Văn phòng HĐND và UBND xã" stay one unit — and
each piece is matched against the Đơn vị sheet: names, aliases (Tên khác), abbreviations
made of syllable initials (Sở KH&CN, Phòng VH-XH) and group names (Nhóm). A piece that
matches nothing is kept as written and reported with the closest unit as a suggestion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from ccpkh_excel.domain.vntext import clean, fold, ocr_key

LEAD = "Chủ trì"
COOP = "Phối hợp"

# Words that open the name of a body; an unresolved run of pieces never swallows one.
_HEADS = (
    "so ",
    "phong ",
    "ban ",
    "van phong ",
    "uy ban ",
    "ubnd",
    "trung tam ",
    "bao ",
    "cong an ",
    "thanh tra ",
    "bo ",
    "cuc ",
    "chi cuc ",
    "vien ",
    "truong ",
    "hoi ",
    "tinh uy",
    "dang uy",
    "bch ",
    "bo chi huy ",
    "kho bac ",
    "ngan hang ",
    "hdnd",
)
# Phrases that name nobody in particular ("các cơ quan liên quan"): kept, not assigned.
_VAGUE = {
    fold(v)
    for v in (
        "đơn vị liên quan",
        "các đơn vị liên quan",
        "cơ quan liên quan",
        "các cơ quan liên quan",
        "các cơ quan có liên quan",
        "các đơn vị có liên quan",
        "cơ quan, đơn vị liên quan",
        "các cơ quan, đơn vị liên quan",
        "các cơ quan, đơn vị có liên quan",
        "đơn vị",
        "các đơn vị",
        "các cơ quan",
        "các ngành liên quan",
        "các tổ chức liên quan",
        "các cơ quan liên quan khác",
        "đơn vị có liên quan",
        "các cơ quan khác",
    )
}
_QUALIFIERS = ("co lien quan", "lien quan", "tinh", "thuoc tinh", "chu tri", "phoi hop")
_CONNECTORS = {"va", "&"}


@dataclass
class Unit:
    code: str
    name: str
    aliases: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    email: str = ""


@dataclass
class Unresolved:
    text: str
    suggestion: str = ""


# How a name was recognised (the Kiểm tra nhập sheet says it to the clerk).
EXACT = "đúng tên"
ALIAS = "tên khác"
GROUP = "nhóm"
ABBREVIATION = "viết tắt"
FUZZY = "gần đúng"
VAGUE = "chung chung"
UNKNOWN = "không nhận ra"


@dataclass
class NameMatch:
    """One name of a cell and how it resolved; `score` (0–100) for a guess."""

    text: str
    codes: list[str]
    how: str
    label: str = ""  # the unit's or group's name as the Đơn vị sheet writes it
    score: float = 100.0


@dataclass
class Resolution:
    """What one cell resolved to: unit codes in order, names not found, vague phrases."""

    codes: list[str] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    vague: list[str] = field(default_factory=list)
    via_group: set[str] = field(default_factory=set)  # codes reached only through a group name

    @property
    def explicit(self) -> set[str]:
        return set(self.codes) - self.via_group


def split_list(text: str) -> list[str]:
    """Split "a; b" style lists (Tên khác, Nhóm, Email cells) into clean items."""
    return [c for c in (clean(p) for p in re.split(r"[;\n]", text or "")) if c]


def _syllables(key: str) -> tuple[str, ...]:
    """Syllables of a folded name, connectors left out."""
    return tuple(t for t in key.split() if t not in _CONNECTORS)


def _initial_tokens(text: str) -> list[str]:
    """Tokens of a written name; abbreviations (KH&CN, VH-XH, UBND) keep their letters."""
    out = []
    for raw in re.split(r"[\s,;()]+", clean(text)):
        for part in re.split(r"[&\-–—/.]+", raw):
            key = fold(part)
            if key and key not in _CONNECTORS:
                out.append(key)
    return out


def _abbrev_match(tokens: list[str], syllables: tuple[str, ...]) -> bool:
    """True when tokens spell the syllables, each token a whole syllable or initials."""

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(tokens):
            return j == len(syllables)
        tok = tokens[i]
        if j < len(syllables) and syllables[j] == tok and go(i + 1, j + 1):
            return True
        n = len(tok)
        if n >= 2 and j + n <= len(syllables):
            if all(syllables[j + k][0] == tok[k] for k in range(n)) and go(i + 1, j + n):
                return True
        return False

    return go(0, 0)


class Directory:
    """The Đơn vị sheet, indexed for resolution."""

    def __init__(self, units: list[Unit]):
        self.units = list(units)
        self.by_code = {u.code: u for u in self.units}
        self._names: dict[str, str] = {}  # fold(name or alias) -> code
        self._groups: dict[str, list[str]] = {}  # fold(group) -> codes
        self._group_labels: dict[str, str] = {}
        self._syllables: list[tuple[tuple[str, ...], str]] = []
        choices: dict[str, str] = {}  # fold(name or alias) -> the name as written (the last one)
        group_keys: dict[str, str] = {}  # a group as written -> its key: thousands of units share a few
        for u in self.units:
            for name in [u.name, *u.aliases]:
                key = fold(name)  # folded once: a province has thousands of names
                choices[key] = name
                if key:
                    self._names.setdefault(key, u.code)
                    self._names.setdefault(_strip_cac(key), u.code)
                    self._syllables.append((_syllables(key), u.code))
            for g in u.groups:
                key = group_keys.get(g)
                if key is None:
                    key = group_keys[g] = _strip_cac(fold(g))
                if key:
                    self._groups.setdefault(key, []).append(u.code)
                    self._group_labels.setdefault(key, g)
        # abbreviation candidates by the first letter of their first syllable (a match's first
        # token, whole syllable or initials, starts with it), in the order of `_syllables`
        self._by_initial: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for syl, code in self._syllables:
            self._by_initial.setdefault(syl[0][0] if syl else "", []).append((syl, code))
        self._choices = {**choices, **self._group_labels}
        self._choice_keys = list(self._choices)
        self._cache: dict[str, list[str] | None] = {}
        self._suggestions: dict[str, str] = {}
        self._resolved: dict[str, Resolution] = {}

    def explain(self, text: str) -> list[NameMatch]:
        """Each name of a cell with how it resolved (exact, alias, group, abbreviation…)."""
        out = []
        for segment in _segments(text):
            prefix = ""
            if m := re.match(r"^\s*các\s+(sở|phòng|ban)\s*:\s*(.+)$", segment, re.IGNORECASE):
                prefix, segment = m.group(1).capitalize() + " ", m.group(2)
            for kind, piece, codes in self._split(segment, prefix):
                if kind == "vague":
                    out.append(NameMatch(piece, [], VAGUE))
                elif kind != "unit":
                    out.append(NameMatch(piece, [], UNKNOWN, self.suggest(piece), 0.0))
                elif len(codes) > 1 or _strip_cac(fold(piece)) in self._groups:
                    key = _strip_cac(fold(piece))
                    out.append(NameMatch(piece, codes, GROUP, self._group_labels.get(key, piece)))
                else:
                    unit = self.by_code[codes[0]]
                    keys = {
                        k
                        for c in _candidates(fold(strip_parenthetical(prefix + piece) or piece))
                        for k in (c, _strip_cac(c))
                    }
                    keys |= {
                        k for c in _candidates(fold(strip_parenthetical(piece) or piece)) for k in (c, _strip_cac(c))
                    }
                    if keys & {fold(unit.name), _strip_cac(fold(unit.name))}:
                        how = EXACT
                    elif keys & {k for a in unit.aliases for k in (fold(a), _strip_cac(fold(a)))}:
                        how = ALIAS
                    else:
                        how = ABBREVIATION
                    out.append(NameMatch(piece, codes, how, unit.name))
        return out

    def guess(self, piece: str, cutoff: float = 85.0) -> NameMatch | None:
        """The unit or group an OCR-garbled name stands for, when one is clearly closest.

        Names are compared as `ocr_key`s ("S6 Noi vu" ≈ "Sở Nội vụ", "86Y té" ≈ "Sở Y tế"); the
        best must score `cutoff` or more and every other name within 8 points must be the same
        unit. None when nothing is close or two units are."""
        key = ocr_key(piece)
        if len(key) < 4 or not self._choices:
            return None
        if self.__dict__.get("_ocr_keys") is None:
            keys: dict[str, list[str]] = {}
            labels: dict[str, str] = {}
            for k, name in self._choices.items():
                codes = self._groups.get(_strip_cac(k)) or ([self._names[k]] if k in self._names else [])
                ok = ocr_key(name)
                if codes and ok and ok not in keys:
                    keys[ok], labels[ok] = codes, name
            self._ocr_keys, self._ocr_labels = keys, labels
        from rapidfuzz import fuzz, process

        hits = process.extract(key, list(self._ocr_keys), scorer=fuzz.ratio, limit=6)
        if not hits or hits[0][1] < cutoff:
            return None
        best_key, best_score = hits[0][0], hits[0][1]
        codes = self._ocr_keys[best_key]
        if any(self._ocr_keys[k] != codes for k, sc, _ in hits[1:] if sc > best_score - 8):
            return None
        label = self._ocr_labels[best_key]
        if len(codes) == 1:
            label = self.by_code[codes[0]].name
        return NameMatch(piece, list(codes), FUZZY, label, round(best_score, 1))

    def groups(self) -> dict[str, list[str]]:
        """Group label → unit codes."""
        return {self._group_labels[k]: v for k, v in self._groups.items()}

    def lookup(self, piece: str) -> list[str] | None:
        """Codes for one name (a group gives several); None when it names no unit."""
        key = fold(piece)
        if key not in self._cache:
            self._cache[key] = self._lookup(piece, key)
        return self._cache[key]

    def _lookup(self, piece: str, key: str) -> list[str] | None:
        if not key:
            return None
        if "(" in piece and (base := strip_parenthetical(piece)) != piece:
            # "Sở Nội vụ (Ban Thi đua - Khen thưởng)": the sub-unit's body; the sub-unit is a note
            return self.lookup(base) if base else None
        candidates = _candidates(key)
        for k in candidates:
            if k in self._names:
                return [self._names[k]]
            bare = _strip_cac(k)
            if bare in self._groups:
                return list(self._groups[bare])
            if bare in self._names:
                return [self._names[bare]]
        tokens = _initial_tokens(piece)
        if tokens and any(len(t) >= 2 for t in tokens):
            hits = self._abbrev_hits(tokens)
            if not hits and tokens[-1] in _QUALIFIERS:
                hits = self._abbrev_hits(tokens[:-1])
            if len(hits) == 1:
                return [hits.pop()]
        return None

    def _abbrev_hits(self, tokens: list[str]) -> set[str]:
        """Codes of the names `tokens` spell (see `_abbrev_match`)."""
        if not tokens:  # only a name without syllables matches no tokens
            pool = self._by_initial.get("", [])
        else:
            pool = self._by_initial.get(tokens[0][0], [])
        n = len(tokens)
        return {code for syl, code in pool if len(syl) >= n and _abbrev_match(tokens, syl)}

    def suggest(self, piece: str) -> str:
        """The closest unit or group name, for a message; "" when nothing is close."""
        if not self._choices:
            return ""
        key = fold(piece)
        if key not in self._suggestions:
            from rapidfuzz import fuzz, process  # only for names not found: every command imports this module

            hit = process.extractOne(key, self._choice_keys, scorer=fuzz.token_set_ratio, score_cutoff=70)
            self._suggestions[key] = self._choices[hit[0]] if hit else ""
        return self._suggestions[key]

    # -- a whole cell -----------------------------------------------------------------
    def resolve(self, text: str) -> Resolution:
        """Resolve a "Cơ quan chủ trì/phối hợp" cell into unit codes (a new object each call:
        callers may change it)."""
        r = self._resolved.get(text)
        if r is None:
            r = self._resolved[text] = self._resolve(text)
        return Resolution(
            list(r.codes), [Unresolved(u.text, u.suggestion) for u in r.unresolved], list(r.vague), set(r.via_group)
        )

    def names_units(self, text: str) -> bool:
        """True when `text` resolves to units, groups or vague phrases only (no suggestion computed)."""
        r = self._resolved.get(text)
        if r is None:
            r = self._resolve(text, suggest=False)
        return bool(r.codes or r.vague) and not r.unresolved

    def _resolve(self, text: str, suggest: bool = True) -> Resolution:
        result = Resolution()
        seen: set[str] = set()  # result.codes as a set: a group of thousands stays linear
        for segment in _segments(text):
            prefix = ""
            if m := re.match(r"^\s*các\s+(sở|phòng|ban)\s*:\s*(.+)$", segment, re.IGNORECASE):
                prefix, segment = m.group(1).capitalize() + " ", m.group(2)
            for kind, piece, codes in self._split(segment, prefix):
                if kind == "unit":
                    for c in codes:
                        if c not in seen:
                            seen.add(c)
                            result.codes.append(c)
                            if len(codes) > 1:
                                result.via_group.add(c)
                        elif len(codes) == 1:
                            result.via_group.discard(c)
                elif kind == "vague":
                    result.vague.append(piece)
                else:
                    result.unresolved.append(Unresolved(piece, self.suggest(piece) if suggest else ""))
        return result

    def _piece(self, piece: str, prefix: str) -> tuple[str, list[str]]:
        if fold(piece) in _VAGUE:
            return "vague", []
        if prefix and not _is_head(piece):
            codes = self.lookup(prefix + piece)
            if codes:
                return "unit", codes
        codes = self.lookup(piece)
        if codes:
            return "unit", codes
        return "none", []

    def _split(self, segment: str, prefix: str) -> list[tuple[str, str, list[str]]]:
        """Fewest pieces that are all names; unknown runs kept whole, never past a head word."""
        parts = _split_outside_parentheses(segment)
        words, seps = parts[0::2], parts[1::2]
        n = len(words)
        INF = float("inf")
        best: list[float] = [0.0] + [INF] * n
        back: list[tuple[int, str, list[str]]] = [(0, "", [])] * (n + 1)
        for j in range(1, n + 1):
            for i in range(j - 1, -1, -1):
                text = clean("".join(words[k] + (seps[k] if k < j - 1 else "") for k in range(i, j)))
                if not text:
                    continue
                kind, codes = self._piece(text, prefix)
                cost = 1.0 if kind != "none" else 1000.0 + (j - i)
                if kind == "none" and any(_is_head(words[k]) for k in range(i + 1, j)):
                    continue
                if best[i] + cost < best[j]:
                    best[j] = best[i] + cost
                    back[j] = (i, kind, codes)
        out = []
        j = n
        while j > 0:
            i, kind, codes = back[j]
            text = clean("".join(words[k] + (seps[k] if k < j - 1 else "") for k in range(i, j)))
            out.append((kind if kind != "none" else "unresolved", text, codes))
            j = i
        return out[::-1]


_LIST_SEP = re.compile(r"(\s*,\s*|\s+và\s+|\s+&\s+)", re.IGNORECASE)
_PARENTHETICAL = re.compile(r"\s*\(([^()]*)\)")


def _split_outside_parentheses(segment: str) -> list[str]:
    """`re.split` on list separators, except inside parentheses: [word, sep, word, …]."""
    depth, inside = 0, []
    for ch in segment:
        depth += ch == "("
        inside.append(depth > 0)
        depth -= ch == ")" and depth > 0
    parts, start = [], 0
    for m in _LIST_SEP.finditer(segment):
        if not inside[m.start()]:
            parts += [segment[start : m.start()], m.group(0)]
            start = m.end()
    return parts + [segment[start:]]


def strip_parenthetical(text: str) -> str:
    """`text` without its parenthesised parts ("Sở Nội vụ (Ban Thi đua)" → "Sở Nội vụ")."""
    return clean(_PARENTHETICAL.sub("", text))


def sub_units(text: str, directory: Directory) -> tuple[str, list[str]]:
    """Move sub-units written in parentheses after a unit out of a unit cell.

    "Sở Nội vụ (Ban Thi đua - Khen thưởng)" → ("Sở Nội vụ", ["Ban Thi đua - Khen thưởng (Sở Nội vụ)"]).
    A parenthesis is moved only when the cell resolves to the same units without it."""
    notes: list[str] = []
    before = directory.resolve(text)
    out = text
    for m in list(_PARENTHETICAL.finditer(text))[::-1]:
        inner = clean(m.group(1))
        candidate = clean(out[: m.start()] + out[m.end() :])
        after = directory.resolve(candidate)
        if not inner or after.codes != before.codes or len(after.unresolved) > len(before.unresolved):
            continue
        owner = re.split(r"[,;]|\s+và\s+", out[: m.start()])[-1].strip(" -–")
        out = candidate
        notes.insert(0, f"{inner} ({clean(owner)})" if owner else inner)
    return out, notes


def _candidates(key: str) -> list[str]:
    """A folded name, then without its trailing qualifiers one by one ("… tỉnh", "… liên quan")."""
    candidates = [key]
    stripped = key
    changed = True
    while changed:
        changed = False
        for q in _QUALIFIERS:
            if stripped.endswith(" " + q):
                stripped = stripped[: -len(q) - 1].strip()
                candidates.append(stripped)
                changed = True
    return candidates


def _strip_cac(key: str) -> str:
    return key[4:] if key.startswith("cac ") else key


def _is_head(text: str) -> bool:
    s = clean(text)
    if not s or not s[0].isupper():
        return False
    key = fold(s) + " "
    return any(key.startswith(h) for h in _HEADS)


def _segments(text: str) -> list[str]:
    """Split a cell on ";" and bullet lines; strip bullets and trailing punctuation."""
    out = []
    for seg in re.split(r"[;\n]", text or ""):
        seg = re.sub(r"^\s*[-+•–]\s*", "", clean(seg)).strip(" .,;:")
        if seg:
            out.append(seg)
    return out


_BULLET = re.compile(r"^[-+•–—]\s*")


def join_unit_lines(lines: list[str], directory: Directory | None) -> str:
    """Join the lines of a unit cell.

    A line break is kept as a separator ("; ") only where every item it makes is a known unit
    or group: the fewest such items win, a dash that opens a line ("Phòng Văn hóa⏎– Xã hội")
    may stay inside a name but is a bullet when that resolves as well. When no split resolves
    every item, bullet lines are items and other lines are joined into one name."""
    lines = [c for c in (clean(x) for x in lines) if c]
    if not lines:
        return ""
    if len(lines) > 1 and directory is not None and (items := _resolved_items(lines, directory)):
        pass
    elif any(_BULLET.match(x) for x in lines):
        items = []
        for x in lines:
            if _BULLET.match(x) or not items:
                items.append(_BULLET.sub("", x))
            else:
                items[-1] += " " + x
    else:
        items = [" ".join(lines)]
    return "; ".join(i.strip(" ;,") for i in items if i.strip(" ;,"))


def _resolved_items(lines: list[str], directory: Directory) -> list[str] | None:
    """The items of the cheapest split of `lines` whose items all resolve; None when none does.

    Cost: one per item, two more per bullet line kept inside an item."""
    n = len(lines)
    if n > 40:  # a cell of a hundred lines is prose, not a list of units
        return None
    INF = float("inf")
    best = [0.0] + [INF] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j):
            if best[i] == INF:
                continue
            text = " ".join([_BULLET.sub("", lines[i])] + lines[i + 1 : j])
            if not directory.names_units(text):
                continue
            cost = 1 + 2 * sum(1 for k in range(i + 1, j) if _BULLET.match(lines[k]))
            if best[i] + cost < best[j]:
                best[j], back[j] = best[i] + cost, i
    if best[n] == INF:
        return None
    items, j = [], n
    while j > 0:
        i = back[j]
        items.append(" ".join([_BULLET.sub("", lines[i])] + lines[i + 1 : j]))
        j = i
    return items[::-1]
