import pytest

from ccpkh_excel.domain.plan import Task, resolve_task
from ccpkh_excel.domain.units import Directory, Unit, join_unit_lines

UNITS = [
    Unit("SNV", "Sở Nội vụ", groups=["Các sở, ban, ngành"]),
    Unit("STP", "Sở Tư pháp", groups=["Các sở, ban, ngành"]),
    Unit("VP", "Văn phòng Ủy ban nhân dân tỉnh", ["Văn phòng UBND tỉnh"], ["Các sở, ban, ngành"]),
    Unit("KHCN", "Sở Khoa học và Công nghệ", groups=["Các sở, ban, ngành"]),
    Unit("VHTTDL", "Sở Văn hóa, Thể thao và Du lịch", groups=["Các sở, ban, ngành"]),
    Unit("GDDT", "Sở Giáo dục và Đào tạo", groups=["Các sở, ban, ngành"]),
    Unit("X1", "UBND xã Đại Từ", groups=["UBND cấp xã"]),
    Unit("X2", "UBND phường Gia Sàng", groups=["UBND cấp xã"]),
    Unit("VPX", "Văn phòng HĐND và UBND xã"),
    Unit("VHXH", "Phòng Văn hóa - Xã hội"),
    Unit("TNMT", "Phòng Tài nguyên và Môi trường", ["Phòng TN-MT"]),
]
D = Directory(UNITS)
SBN = ["SNV", "STP", "VP", "KHCN", "VHTTDL", "GDDT"]


@pytest.mark.parametrize(
    "text, codes",
    [
        ("Sở Nội vụ", ["SNV"]),
        ("sở nội vụ", ["SNV"]),
        ("Văn phòng UBND tỉnh", ["VP"]),  # alias
        ("Sở KH&CN", ["KHCN"]),  # abbreviation of syllable initials
        ("Sở GD&ĐT", ["GDDT"]),
        ("Sở GDĐT", ["GDDT"]),
        ("Phòng VH-XH", ["VHXH"]),
        ("Phòng Văn hoá – Xã hội", ["VHXH"]),
        ("Văn phòng HĐND và UBND xã", ["VPX"]),  # "và" inside a name
        ("Sở Văn hóa, Thể thao và Du lịch", ["VHTTDL"]),  # "," and "và" inside a name
        ("Sở Văn hoá, Thể thao và Du lịch, Sở Nội vụ", ["VHTTDL", "SNV"]),
        ("Sở Nội vụ và Sở Tư pháp", ["SNV", "STP"]),
        ("Các sở, ban, ngành", SBN),
        ("Các sở, ban ngành; UBND cấp xã", SBN + ["X1", "X2"]),
        ("Các sở, ban, ngành liên quan", SBN),
        ("Các Sở: Nội vụ, Tư pháp", ["SNV", "STP"]),
        ("- Sở Giáo dục và Đào tạo; - UBND cấp xã", ["GDDT", "X1", "X2"]),
    ],
)
def test_resolves(text, codes):
    r = D.resolve(text)
    assert r.codes == codes
    assert r.unresolved == []


def test_unknown_name_is_kept_and_reported_with_a_suggestion():
    r = D.resolve("Sở Nội vụ, Sở Tư phap tỉnh Bắc Giang, Sở Kế hoạch và Đầu tư")
    assert r.codes == ["SNV"]
    assert [u.text for u in r.unresolved] == ["Sở Tư phap tỉnh Bắc Giang", "Sở Kế hoạch và Đầu tư"]
    assert r.unresolved[0].suggestion == "Sở Tư pháp"


def test_unknown_run_never_swallows_a_known_unit():
    r = D.resolve("Ban Dân tộc, Sở Tư pháp, Cục Thống kê")
    assert r.codes == ["STP"]
    assert [u.text for u in r.unresolved] == ["Ban Dân tộc", "Cục Thống kê"]


def test_vague_phrases_are_not_units_and_not_errors():
    r = D.resolve("Các sở, ban, ngành, đơn vị liên quan")
    assert r.codes == SBN and r.unresolved == [] and r.vague == ["đơn vị liên quan"]


def test_never_lead_and_cooperator_and_named_role_wins():
    # named cooperator, lead only through a group: it cooperates
    r = resolve_task(Task(lead="Các sở, ban, ngành", coop="Sở Tư pháp"), D)
    assert "STP" not in r.lead.codes and r.coop.codes == ["STP"]
    # named lead, cooperator through a group: it leads
    r = resolve_task(Task(lead="Sở Nội vụ", coop="Các sở, ban, ngành; UBND cấp xã"), D)
    assert r.lead.codes == ["SNV"] and "SNV" not in r.coop.codes
    # named in both: lead wins
    r = resolve_task(Task(lead="Sở Nội vụ", coop="Sở Nội vụ, Sở Tư pháp"), D)
    assert r.lead.codes == ["SNV"] and r.coop.codes == ["STP"]


def test_join_unit_lines():
    assert join_unit_lines(["Văn phòng", "UBND tỉnh"], D) == "Văn phòng UBND tỉnh"
    assert join_unit_lines(["Sở Nội vụ", "Sở Tư pháp"], D) == "Sở Nội vụ; Sở Tư pháp"
    assert (
        join_unit_lines(["- Sở Giáo dục và", "Đào tạo;", "- UBND cấp xã"], D) == "Sở Giáo dục và Đào tạo; UBND cấp xã"
    )
    assert (
        join_unit_lines(["Sở Khoa học và", "Công", "nghệ, Sở Tài chính"], D) == "Sở Khoa học và Công nghệ, Sở Tài chính"
    )
