import unicodedata

import pytest

from ccpkh_excel.domain.vntext import (
    ascii_slug,
    clean,
    detect_legacy,
    fold,
    tcvn3_to_unicode,
    unicode_to_tcvn3,
    unicode_to_vni,
    vni_to_unicode,
)


def test_clean_is_nfc_one_line_collapsed():
    nfd = unicodedata.normalize("NFD", "Sở  Nội\nvụ\u00a0 tỉnh\u200b")
    assert clean(nfd) == "Sở Nội vụ tỉnh"
    assert unicodedata.is_normalized("NFC", clean(nfd))


@pytest.mark.parametrize(
    "a, b",
    [
        ("Phòng Văn hóa - Xã hội", "phòng văn hoá – xã hội"),
        ("Phòng Văn hóa - Xã hội", "Phòng Văn hóa—Xã hội"),
        ("Thủy lợi", "Thuỷ lợi"),
        ("hòa bình", "HOÀ BÌNH"),
        ("Sở Nội vụ", "so noi vu"),
        ("Đào tạo", "dao tao"),
    ],
)
def test_fold_ignores_case_marks_dashes_and_tone_placement(a, b):
    assert fold(a) == fold(b)


def test_tcvn3_examples_measured_on_this_machine():
    assert tcvn3_to_unicode("X©y dùng KÕ ho¹ch") == "Xây dựng Kế hoạch"
    assert tcvn3_to_unicode("Phßng V¨n hãa") == "Phòng Văn hóa"
    assert tcvn3_to_unicode("kÕ ho¹ch", upper=True) == "KẾ HOẠCH"


@pytest.mark.parametrize(
    "text", ["Sở Văn hóa, Thể thao và Du lịch", "Ủy ban nhân dân tỉnh Thái Nguyên", "Trước ngày 25/4/2026"]
)
def test_vni_round_trip(text):
    assert vni_to_unicode(unicode_to_vni(text)) == text


def test_tcvn3_round_trip_lowers_toned_capitals_only():
    code, lowered = unicode_to_tcvn3("Ứng dụng")
    assert lowered
    assert tcvn3_to_unicode(code) == "ứng dụng"
    code, lowered = unicode_to_tcvn3("Đào tạo")
    assert not lowered and tcvn3_to_unicode(code) == "Đào tạo"


def test_detect_legacy():
    text = "Xây dựng kế hoạch nâng cao chất lượng kiểm soát TTHC trên địa bàn tỉnh"
    assert detect_legacy(text) is None
    assert detect_legacy(unicode_to_tcvn3(text)[0]) == "tcvn3"
    assert detect_legacy(unicode_to_vni(text)) == "vni"
    assert detect_legacy("Café crème à la carte") is None


def test_ascii_slug():
    assert ascii_slug("Sở Giáo dục và Đào tạo") == "So_Giao_duc_va_Dao_tao"


@pytest.mark.parametrize(
    "read, key",
    [
        ("S6 Noi vu", "so noi vu"),
        ("S& Tai chinh", "so tai chinh"),
        ("86Y té", "soy te"),
        ("Vin phong Uy ban nhan dén tinh", "vin phong uy ban nhan den tinh"),
        ("giai đoạn 2026 - 2030", "giai doan 2026 2030"),  # numbers stay numbers
    ],
)
def test_ocr_fold_reads_signs_and_digits_inside_words_as_letters(read, key):
    from ccpkh_excel.domain.vntext import ocr_fold, ocr_key

    assert ocr_fold(read) == key
    assert ocr_key("Sở Y tế") == ocr_key("86Y té") == "soyte"


def test_clean_fast_path_equals_the_full_cleaning():
    """`clean` returns text it need not change as it is; every other text goes the full way —
    both give what NFC + invisible characters removed + spaces collapsed + strip gives."""
    import random
    import unicodedata

    from ccpkh_excel.domain import vntext

    def full(t):
        s = unicodedata.normalize("NFC", str(t)).translate(vntext._INVISIBLE)
        return vntext._SPACES.sub(" ", s).strip()

    alphabet = list("aA bđĐ\t\n\r\u00a0\u2007\u202f\u200b\ufeff\u2028\u3000\u1680e\u0301ếệ-–x ")
    rnd = random.Random(1)
    for _ in range(50_000):
        t = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 8)))
        assert vntext.clean(t) == full(t), repr(t)
