"""Vietnamese text: cleaning, matching keys, legacy encodings (TCVN3, VNI).

Everything stored is NFC with whitespace collapsed (`clean`). Everything compared
goes through `fold`, which ignores case, diacritics (and so old/new tone placement:
hoà/hòa, thuỷ/thủy), đ/d, punctuation and the spacing around dashes.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "clean",
    "clean_lines",
    "clean_text",
    "fold",
    "ascii_slug",
    "decode_legacy",
    "detect_legacy",
    "tcvn3_to_unicode",
    "vni_to_unicode",
    "unicode_to_tcvn3",
    "unicode_to_vni",
    "font_encoding",
    "ocr_fold",
    "ocr_key",
    "thousands",
]

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_NEEDS_WORK = re.compile("[\r\t\u00a0\u200b\u200c\u200d\u2060\ufeff]|  | \n|\n ")
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})


_NEEDS_CLEAN = re.compile("[^\\S ]|  |[\u00a0\u2007\u202f\u200b\u200c\u200d\u2060\ufeff]")


def clean(text: object) -> str:
    """Return cell text as stored: NFC, one line, runs of spaces collapsed, dashes kept."""
    if text is None:
        return ""
    s = str(text)
    if not _NEEDS_CLEAN.search(s) and s == s.strip() and unicodedata.is_normalized("NFC", s):
        return s  # the common case: nothing to change
    s = unicodedata.normalize("NFC", s).translate(_INVISIBLE)
    return _SPACES.sub(" ", s).strip()


def clean_text(text: object) -> str:
    """Free text as stored (results, difficulties): NFC, trimmed, its own line breaks kept."""
    if text is None:
        return ""
    s = str(text)
    if not _NEEDS_WORK.search(s) and s == s.strip() and unicodedata.is_normalized("NFC", s):
        return s  # the common case: nothing to change
    s = unicodedata.normalize("NFC", s).translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in s.split("\n")).strip()


def clean_lines(text: object) -> list[str]:
    """Split on line breaks and clean each line, dropping empty ones."""
    if text is None:
        return []
    lines = re.split(r"[\r\n\v\u2028\u2029]+", str(text))
    return [c for c in (clean(line) for line in lines) if c]


_NON_WORD = re.compile(r"[^0-9a-z&]+")


def fold(text: object) -> str:
    """Return the matching key of `text`: lower case, no diacritics, no punctuation."""
    s = unicodedata.normalize("NFD", clean(text).translate(_DASHES).lower())
    s = "".join(c for c in s if not unicodedata.combining(c)).replace("đ", "d")
    return _NON_WORD.sub(" ", s).strip()


# Characters OCR reads in place of letters ("S6 Noi vu", "S& Tai chinh", "86Y té" for Sở Y tế, "¢)" for c)).
_OCR_LETTERS = str.maketrans("01345689&@$|¢€©®§", "oieasosgoasicecos")
_OCR_TOKEN = re.compile(r"[^\W_]*[0-9&@$|¢€©®§][^\W_]*|[^\W_]+|[&@$|¢€©®§]+")


def ocr_fold(text: object) -> str:
    """`fold` for text read by OCR: in a word that has letters, digits and signs read in place of
    letters become those letters ("S6 Noi vu" → "so noi vu"); numbers stay numbers."""
    s = unicodedata.normalize("NFD", clean(text).translate(_DASHES).lower())
    s = "".join(c for c in s if not unicodedata.combining(c)).replace("đ", "d")
    words = []
    for tok in _OCR_TOKEN.findall(s):
        if not tok.isdigit() and (any(c.isalpha() for c in tok) or len(tok) <= 2):
            tok = tok.translate(_OCR_LETTERS)
        words.append(tok)
    return _NON_WORD.sub(" ", " ".join(words)).strip()


def ocr_key(text: object) -> str:
    """A compact key for tolerant matching of OCR text: `ocr_fold` without spaces, l read as i."""
    return ocr_fold(text).replace(" ", "").replace("l", "i").replace("&", "o")


def ascii_slug(text: object, sep: str = "_") -> str:
    """Return `text` without diacritics, ASCII letters and digits joined by `sep`."""
    s = unicodedata.normalize("NFD", clean(text).replace("đ", "d").replace("Đ", "D"))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return sep.join(re.findall(r"[A-Za-z0-9]+", s))


# --- TCVN3 (ABC, the .VnTime fonts) -------------------------------------------------
# One byte a letter, checked against glibc's TCVN5712-1 table. Only the lower-case
# toned letters have codes; .VnTimeH draws those same codes as capitals.
_TCVN3_CODES = bytes(list(range(0xA1, 0xB0)) + list(range(0xB5, 0xFF))).decode("latin-1")
_TCVN3_UNICODE = "ĂÂÊÔƠƯĐăâêôơưđẰàảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịòỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵ"
_TCVN3_DECODE = str.maketrans(dict(zip(_TCVN3_CODES, _TCVN3_UNICODE, strict=True)))
# Encoding (for tests and round trips): only the codes a .VnTime user types.
_TCVN3_ENCODE = {u: c for c, u in zip(_TCVN3_CODES, _TCVN3_UNICODE, strict=True) if u.islower() or u in "ĂÂÊÔƠƯĐ"}


def tcvn3_to_unicode(text: str, upper: bool = False) -> str:
    """Decode TCVN3 text; `upper` for runs typed in a .VnTimeH (capitals) font."""
    s = text.translate(_TCVN3_DECODE)
    return s.upper() if upper else s


def unicode_to_tcvn3(text: str) -> tuple[str, bool]:
    """Encode NFC text as TCVN3 codes; the flag says whether capitals were lowered."""
    out, lowered = [], False
    for ch in unicodedata.normalize("NFC", text):
        if ch in _TCVN3_ENCODE:
            out.append(_TCVN3_ENCODE[ch])
        elif ch.lower() in _TCVN3_ENCODE and ch.lower() != ch:
            out.append(_TCVN3_ENCODE[ch.lower()])
            lowered = True
        else:
            out.append(ch)
    return "".join(out), lowered


# --- VNI-Windows ----------------------------------------------------------------------
# A base letter followed by one byte for the mark; order: none, sắc, huyền, hỏi, ngã, nặng.
_VNI_ROWS = {
    "a": ("a", "aù", "aø", "aû", "aõ", "aï"),
    "â": ("aâ", "aá", "aà", "aå", "aã", "aä"),
    "ă": ("aê", "aé", "aè", "aú", "aü", "aë"),
    "e": ("e", "eù", "eø", "eû", "eõ", "eï"),
    "ê": ("eâ", "eá", "eà", "eå", "eã", "eä"),
    "o": ("o", "où", "oø", "oû", "oõ", "oï"),
    "ô": ("oâ", "oá", "oà", "oå", "oã", "oä"),
    "ơ": ("ô", "ôù", "ôø", "ôû", "ôõ", "ôï"),
    "u": ("u", "uù", "uø", "uû", "uõ", "uï"),
    "ư": ("ö", "öù", "öø", "öû", "öõ", "öï"),
    "i": ("i", "í", "ì", "æ", "ó", "ò"),
    "y": ("y", "yù", "yø", "yû", "yõ", "î"),
}
_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {"ñ": "đ", "Ñ": "Đ"}
    for base, codes in _VNI_ROWS.items():
        for tone, code in zip(_TONES, codes, strict=True):
            letter = unicodedata.normalize("NFC", base + tone)
            if code != letter:
                table[code] = letter
                table[code.upper()] = letter.upper()
    return table


_VNI_DECODE = _vni_table()
_VNI_PATTERN = re.compile("|".join(sorted(map(re.escape, _VNI_DECODE), key=len, reverse=True)))
_VNI_ENCODE = {v: k for k, v in _VNI_DECODE.items()}


def vni_to_unicode(text: str) -> str:
    """Decode VNI-Windows text (VNI-Times fonts) to NFC Unicode."""
    return _VNI_PATTERN.sub(lambda m: _VNI_DECODE[m.group(0)], text)


def unicode_to_vni(text: str) -> str:
    """Encode NFC text as VNI-Windows (for tests and round trips)."""
    return "".join(_VNI_ENCODE.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


# --- Detection ------------------------------------------------------------------------
_NUCLEI = (
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê ui"
    " uô uơ ưa ưi ưu uy ươ yê iêu oai oay oao oeo uây uôi ươi ươu uya uyê yêu uyu"
).split()
_VN_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    r"(" + "|".join(sorted(_NUCLEI, key=len, reverse=True)) + r")"
    r"(ng|nh|ch|[cmnpt])?$"
)
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def _is_syllable(word: str) -> bool:
    s = unicodedata.normalize("NFD", word.lower())
    if sum(c in _TONE_MARKS for c in s) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in s if c not in _TONE_MARKS))
    return bool(_VN_SYLLABLE.match(base)) or base in ("gi", "gin", "gì")


def _score(text: str) -> float:
    words = re.findall(r"[^\W\d_]+", text)
    if not words:
        return 0.0
    return sum(_is_syllable(w) for w in words) / len(words)


def detect_legacy(text: str) -> str | None:
    """Return "tcvn3" or "vni" when `text` reads better decoded that way, else None."""
    if not text or not any("\u00a1" <= c <= "\u00ff" for c in text):
        return None
    if any("\u1ea0" <= c <= "\u1ef9" or c in "ăĂơƠưƯđĐ" for c in text):
        return None  # already holds Unicode-only Vietnamese letters
    plain = _score(text)
    best, best_score = None, plain
    for name, decode in (("tcvn3", tcvn3_to_unicode), ("vni", vni_to_unicode)):
        score = _score(decode(text))
        if score > best_score + 0.05:
            best, best_score = name, score
    return best


def decode_legacy(text: str, encoding: str | None) -> str:
    """Decode `text` from a legacy encoding named by `detect_legacy` (None: unchanged)."""
    if encoding == "tcvn3":
        return tcvn3_to_unicode(text)
    if encoding == "vni":
        return vni_to_unicode(text)
    return text


def font_encoding(font_name: str | None) -> tuple[str | None, bool]:
    """Legacy encoding implied by a font name, and whether it is a capitals font."""
    if not font_name:
        return None, False
    name = font_name.strip()
    if name.startswith(".Vn") or name.startswith(".VN"):
        return "tcvn3", name.endswith("H")
    if name.upper().startswith("VNI"):
        return "vni", False
    return None, False


def thousands(n: int) -> str:
    """A whole number as Vietnamese write it: "40.000", "1.048.576"."""
    return f"{n:,}".replace(",", ".")
