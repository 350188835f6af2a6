"""The bundled sample: Kế hoạch CCHC tỉnh Thái Nguyên năm 2026 (its DANH MỤC, 23 tasks).

Text is as the plan writes it. Lĩnh vực is not in the plan's DANH MỤC: the sample files each
task under the area of section II it serves, as a clerk would, so figures by area mean something.
The e-mail addresses use the reserved ".example" domain: replace them with real ones.
"""

from __future__ import annotations

from datetime import date

from ccpkh_excel.domain.plan import Plan, Task, number_tasks
from ccpkh_excel.domain.units import Unit

INFO = {
    "Cơ quan chủ quản": "",
    "Cơ quan ban hành": "Ủy ban nhân dân tỉnh Thái Nguyên",
    "Địa danh": "Thái Nguyên",
    "Số ký hiệu": "188/KH-UBND",
    "Ngày ban hành": date(2025, 12, 27),
    "Tên loại": "Kế hoạch",
    "Trích yếu": "Cải cách hành chính tỉnh Thái Nguyên năm 2026",
    "Năm": 2026,
    "Quyền hạn ký": "KT. Chủ tịch",
    "Chức vụ người ký": "Phó Chủ tịch",
    "Người ký": "Nguyễn Thị Loan",
    "Nơi nhận": "; ".join(
        [
            "Bộ Nội vụ",
            "TT. Tỉnh ủy",
            "TT. HĐND tỉnh",
            "TT. UBMTTQ tỉnh",
            "Chủ tịch và các PCT UBND tỉnh",
            "Các sở, ban, ngành",
            "Các cơ quan ngành dọc đóng trên địa bàn tỉnh",
            "UBND các xã, phường",
            "Lãnh đạo VP UBND tỉnh",
            "Báo và Phát thanh, truyền hình Thái Nguyên",
            "Trung tâm Thông tin tỉnh",
            "Lưu: VT, TTPVHCC",
        ]
    ),
    "Đầu mối liên hệ": "Phòng Cải cách hành chính, Sở Nội vụ; email: snv@thainguyen.example",
    "Mã kế hoạch": "KH-TN2026-188",
}

SBN = "Các sở, ban, ngành"
XA = "UBND cấp xã; UBND các xã, phường; Địa phương"
MEDIA = "Các cơ quan thông tin và truyền thông"

# code, name, aliases, groups
_UNITS = [
    ("SNV", "Sở Nội vụ", "", SBN),
    ("STP", "Sở Tư pháp", "", SBN),
    ("VPUBND", "Văn phòng Ủy ban nhân dân tỉnh", "Văn phòng UBND tỉnh; VP UBND tỉnh", SBN),
    ("STC", "Sở Tài chính", "", SBN),
    ("SKHCN", "Sở Khoa học và Công nghệ", "", SBN),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "", SBN),
    ("SXD", "Sở Xây dựng", "", SBN),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "", SBN),
    ("SYT", "Sở Y tế", "", SBN),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "", SBN),
    ("BQLKCN", "Ban Quản lý các Khu công nghiệp tỉnh", "Ban Quản lý các Khu Công nghiệp", SBN),
    ("BPTTH", "Báo và Phát thanh, Truyền hình Thái Nguyên", "Báo và Phát thanh, truyền hình tỉnh", MEDIA),
    ("TTTT", "Trung tâm Thông tin tỉnh Thái Nguyên", "Trung tâm Thông tin tỉnh", MEDIA),
    ("PPDP", "UBND phường Phan Đình Phùng", "Ủy ban nhân dân phường Phan Đình Phùng", XA),
    ("PGS", "UBND phường Gia Sàng", "Ủy ban nhân dân phường Gia Sàng", XA),
    ("PPY", "UBND phường Phổ Yên", "Ủy ban nhân dân phường Phổ Yên", XA),
    ("PBK", "UBND phường Bắc Kạn", "Ủy ban nhân dân phường Bắc Kạn", XA),
    ("XDT", "UBND xã Đại Từ", "Ủy ban nhân dân xã Đại Từ", XA),
]

CHI_DAO = "Công tác chỉ đạo, điều hành CCHC"
THE_CHE = "Cải cách thể chế"
TTHC = "Cải cách thủ tục hành chính"
BO_MAY = "Cải cách tổ chức bộ máy hành chính nhà nước"
CONG_VU = "Cải cách chế độ công vụ"
TAI_CHINH = "Cải cách tài chính công"
SO = "Xây dựng và phát triển chính quyền điện tử, chính quyền số"
TUYEN_TRUYEN = "Tuyên truyền về cải cách hành chính"

_ALL = "Các sở, ban, ngành; UBND cấp xã"
_SKHCN = "Sở Khoa học và Công nghệ"

# Lĩnh vực, Nội dung công việc, Cơ quan chủ trì, Cơ quan phối hợp, Thời gian hoàn thành
TASKS = [
    (
        CHI_DAO,
        "Xây dựng Kế hoạch triển khai tự chấm điểm, đánh giá, xác định Chỉ số cải cách hành chính tỉnh Thái Nguyên năm 2025 và tổ chức thực hiện",
        "Sở Nội vụ",
        "Các sở, ban, ngành liên quan",
        "Quý I/2026",
    ),
    (
        CHI_DAO,
        "Xây dựng Kế hoạch tuyên truyền CCHC; kế hoạch kiểm tra CCHC, kiểm tra công vụ năm 2026 và tổ chức triển khai thực hiện",
        "Sở Nội vụ",
        "Các sở, ban, ngành; UBND cấp xã",
        "Quý I/2026",
    ),
    (
        TTHC,
        "Xây dựng kế hoạch nâng cao chất lượng kiểm soát TTHC, cải cách TTHC gắn với chuyển đổi số trên địa bàn tỉnh Thái Nguyên",
        "Văn phòng UBND tỉnh",
        "Các sở, ban ngành; UBND cấp xã",
        "Tháng 01/2026",
    ),
    (
        CHI_DAO,
        "Xây dựng và triển khai kế hoạch đánh giá, xác định Chỉ số CCHC; đo lường mức độ hài lòng của người dân, tổ chức đối với sự phục vụ hành chính năm 2026 của các sở, ban, ngành, UBND cấp xã và tổ chức thực hiện.",
        "Sở Nội vụ",
        "Văn phòng UBND tỉnh, các sở, ban, ngành; UBND cấp xã",
        "Quý III/2026",
    ),
    (
        THE_CHE,
        "Tổ chức triển khai xử lý các văn bản QPPL chịu sự tác động của việc sắp xếp tổ chức bộ máy đối với các văn bản do cơ quan, đơn vị mình tham mưu tại Danh mục văn bản QPPL chịu sự tác động của việc sắp xếp tổ chức bộ máy nhà nước (kèm theo Báo cáo số 287/BC-BTP ngày 16/6/2025 của Bộ Tư pháp về kết quả rà soát hệ thống hóa văn bản QPPL chịu sự tác động của việc sắp xếp tổ chức bộ máy quy định tại Nghị quyết số 190/2025/QH15 QH15 ngày 10/02/2025 của Quốc hội)",
        "Các sở, ban, ngành",
        "Sở Tư pháp",
        "Trước 01/6/2026",
    ),
    (
        CHI_DAO,
        "Xây dựng Kế hoạch nâng cao Chỉ số CCHC, Chỉ số hài lòng về sự phục vụ hành chính, nâng cao hiệu quả quản trị và hành chính công tỉnh Thái Nguyên năm 2026 và tổ chức thực hiện.",
        "Sở Nội vụ",
        "Các sở, ban ngành, UBND cấp xã",
        "Quý II/2026 (sau khi Bộ Nội vụ công bố)",
    ),
    (
        BO_MAY,
        "Tổ chức thực hiện rà soát, sắp xếp, tổ chức lại đơn vị sự nghiệp giáo dục công lập trên địa bàn tỉnh",
        "Sở Giáo dục và Đào tạo; UBND cấp xã",
        "Sở Nội vụ",
        "Năm 2026",
    ),
    (
        CONG_VU,
        "Tổ chức thẩm định Đề án vị trí việc làm, khung năng lực, bảo đảm đúng người, đúng việc, nâng cao chất lượng, hợp lý về cơ cấu theo quy định",
        "Sở Nội vụ",
        "Các sở, ban, ngành",
        "Năm 2026",
    ),
    (
        CHI_DAO,
        "Đo lường mức độ hài lòng của người dân đối với dịch vụ giáo dục công năm 2026",
        "Sở Giáo dục và Đào tạo",
        "Sở Nội vụ, UBND cấp xã",
        "Quý II/2026",
    ),
    (
        CHI_DAO,
        "Đo lường mức độ hài lòng của người dân đối với dịch vụ y tế công năm 2026",
        "Sở Y tế",
        "Sở Nội vụ, UBND cấp xã",
        "Quý IV/2026",
    ),
    (
        CHI_DAO,
        "Xây dựng quy định thi đua, khen thưởng phong trào thực hiện cải cách hành chính tỉnh Thái Nguyên giai đoạn 2026 – 2030",
        "Sở Nội vụ",
        "Các sở, ban, ngành liên quan; UBND cấp xã",
        "Năm 2026",
    ),
    (
        BO_MAY,
        "Xây dựng Kế hoạch triển khai mô hình Chính quyền thân thiện, nhân dân phát huy quyền làm chủ tại UBND các xã, phường, trên địa bàn tỉnh Thái Nguyên năm 2026",
        "Sở Nội vụ",
        "Các sở, ban, ngành liên quan; UBND cấp xã",
        "Quý II/2026",
    ),
    (
        CONG_VU,
        "Nghiên cứu xây dựng Quy chế và tổ chức đánh giá, xếp loại mức độ hoàn thành nhiệm vụ năm 2026 đối với các cơ quan, đơn vị, địa phương thuộc tỉnh Thái Nguyên (sau khi Chính phủ ban hành Nghị định đánh giá, xếp loại mức độ hoàn thành nhiệm vụ đối với tổ chức hành chính)",
        "Sở Nội vụ",
        "Các sở, ban, ngành, đơn vị liên quan; UBND cấp xã",
        "Quý IV/2026",
    ),
    (
        TAI_CHINH,
        "Tổ chức Hội nghị đối thoại giữa Lãnh đạo tỉnh với cộng đồng doanh nghiệp trên địa bàn tỉnh (tối thiểu 03 Hội nghị)",
        "Sở Tài chính",
        "Các sở, ban, ngành liên quan; UBND cấp xã",
        "Năm 2026",
    ),
    (
        SO,
        "Nghiên cứu triển khai Ứng dụng GIS (Building Information Modeling) và Bim (Geographic Information System) trong lĩnh vực quy hoạch, xây dựng đô thị; lĩnh vực giao thông, thẩm định dự án… trên địa bàn tỉnh.",
        "Sở Xây dựng",
        "Sở Khoa học và Công nghệ, Sở Tài chính",
        "Năm 2026",
    ),
    (
        SO,
        "Nâng cấp phần mềm đánh giá mức độ chuyển đổi số các cơ quan nhà nước trên địa bàn tỉnh",
        _SKHCN,
        _ALL,
        "Quý III/2026",
    ),
    (SO, "Triển khai phần mềm Hệ thống báo cáo ngày", _SKHCN, _ALL, "Năm 2026"),
    (
        SO,
        "Triển khai hệ thống thông tin giải quyết TTHC tỉnh phù hợp với chỉ đạo của Trung ương",
        _SKHCN,
        _ALL,
        "Năm 2026",
    ),
    (SO, "Triển khai thí điểm Trung tâm giám sát, điều hành thông minh tỉnh Thái Nguyên", _SKHCN, _ALL, "Quý II/2026"),
    (
        SO,
        "Nâng cấp, cập nhật tính năng của Nền tảng tích hợp, chia sẻ dữ liệu tỉnh (LGSP)",
        _SKHCN,
        _ALL,
        "Quý IV/2026",
    ),
    (
        SO,
        "Tham mưu UBND tỉnh đánh giá, công bố kết quả đánh giá, xếp hạng mức độ chuyển đổi số các cơ quan nhà nước trên địa bàn tỉnh",
        _SKHCN,
        _ALL,
        "Quý IV/2026",
    ),
    (SO, "Rà soát, cập nhật kiến trúc số tỉnh Thái Nguyên", _SKHCN, _ALL, "Quý IV/2026"),
    (
        TUYEN_TRUYEN,
        "Hướng dẫn, hỗ trợ các sở, ban, ngành, UBND cấp xã thực hiện các quy trình đề nghị công nhận sáng kiến trong lĩnh vực CCHC năm 2026.",
        _SKHCN,
        _ALL,
        "Năm 2026",
    ),
]


def sample_units() -> list[Unit]:
    return [
        Unit(
            code, name, [a for a in aliases.split("; ") if a], groups.split("; "), f"{code.lower()}@thainguyen.example"
        )
        for code, name, aliases, groups in _UNITS
    ]


def plan_text() -> dict:
    """Sections I–III of the sample plan (from seed 000), as shipped in data/."""
    from ccpkh_excel.resources import sample_plan_text

    return sample_plan_text()


# Headings of section III that name exactly one unit are stored as its code.
_ORG_CODES = {
    "Sở Nội vụ": "SNV",
    "Sở Tư pháp": "STP",
    "Văn phòng Ủy ban nhân dân tỉnh": "VPUBND",
    "Sở Tài chính": "STC",
    "Sở Khoa học và Công nghệ": "SKHCN",
    "Sở Văn hóa, Thể thao và Du lịch": "SVHTTDL",
}


def sample_plan() -> Plan:
    """The sample plan, deadlines computed, tasks numbered NV001…NV023."""
    from ccpkh_excel.domain.plan import apply_deadline

    text = plan_text()
    plan = Plan(info=dict(INFO), units=sample_units())
    plan.info["Lời dẫn"] = text["loi_dan"]
    plan.info["Đoạn kết"] = text["ket_thuc"]
    plan.basis = list(text["can_cu"])
    plan.purposes = [tuple(x) for x in text["muc_dich_yeu_cau"]]
    plan.content = [tuple(x) for x in text["noi_dung"]]
    plan.organization = [(_ORG_CODES.get(h, h), duty) for h, duty in text["to_chuc_thuc_hien"]]
    tasks = [
        Task(stt=str(i), field=f, content=c, lead=lead, coop=coop, deadline=d)
        for i, (f, c, lead, coop, d) in enumerate(TASKS, start=1)
    ]
    plan.tasks = number_tasks([apply_deadline(t, plan.year)[0] for t in tasks])
    return plan
