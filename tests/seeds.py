"""The DANH MỤC tables of the three seed documents, cell by cell as the documents print them.

Line breaks inside cells ("\n") are where the documents break them. Expected results are
written out here by hand, independent of the package's sample data.
"""

from datetime import date

SBN = {"SNV", "STP", "VPUBND", "STC", "SKHCN", "SVHTTDL", "SXD", "SNNMT", "SYT", "SGDDT", "BQLKCN"}
XA = {"PPDP", "PGS", "PPY", "PBK", "XDT"}

HEADER_000 = [["Số TT", "Nội dung công việc", "Cơ quan chủ\ntrì", "Cơ quan phối hợp", "Thời gian hoàn\nthành"]]

_KHCN = "Sở Khoa học và\nCông nghệ"
_ALL = "Các sở, ban, ngành;\nUBND cấp xã"

# STT, Nội dung, chủ trì, phối hợp, thời gian | expected lead codes, coop codes, due, note
SEED_000 = [
    ("1", "Xây dựng Kế hoạch triển khai tự chấm điểm, đánh giá, xác định Chỉ số cải cách hành chính tỉnh Thái Nguyên năm 2025 và tổ chức thực hiện",
     "Sở Nội vụ", "Các sở, ban, ngành\nliên quan", "Quý I/2026",
     {"SNV"}, SBN - {"SNV"}, date(2026, 3, 31), ""),
    ("2", "Xây dựng Kế hoạch tuyên truyền CCHC; kế hoạch kiểm tra CCHC, kiểm tra công vụ năm 2026 và tổ chức triển khai thực hiện",
     "Sở Nội vụ", _ALL, "Quý I/2026",
     {"SNV"}, (SBN | XA) - {"SNV"}, date(2026, 3, 31), ""),
    ("3", "Xây dựng kế hoạch nâng cao chất lượng kiểm soát TTHC, cải cách TTHC gắn với chuyển đổi số trên địa bàn tỉnh Thái Nguyên",
     "Văn phòng\nUBND tỉnh", "Các sở, ban ngành;\nUBND cấp xã", "Tháng 01/2026",
     {"VPUBND"}, (SBN | XA) - {"VPUBND"}, date(2026, 1, 31), ""),
    ("4", "Xây dựng và triển khai kế hoạch đánh giá, xác định Chỉ số CCHC; đo lường mức độ hài lòng của người dân, tổ chức đối với sự phục vụ hành chính năm 2026 của các sở, ban, ngành, UBND cấp xã và tổ chức thực hiện.",
     "Sở Nội vụ", "Văn phòng UBND\ntỉnh, các sở, ban,\nngành;\nUBND cấp xã", "Quý III/2026",
     {"SNV"}, (SBN | XA) - {"SNV"}, date(2026, 9, 30), ""),
    ("5", "Tổ chức triển khai xử lý các văn bản QPPL chịu sự tác động của việc sắp xếp tổ chức bộ máy đối với các văn bản do cơ quan, đơn vị mình tham mưu tại Danh mục văn bản QPPL chịu sự tác động của việc sắp xếp tổ chức bộ máy nhà nước (kèm theo Báo cáo số 287/BC-BTP ngày 16/6/2025 của Bộ Tư pháp về kết quả rà soát hệ thống hóa văn bản QPPL chịu sự tác động của việc sắp xếp tổ chức bộ máy quy định tại Nghị quyết số 190/2025/QH15 QH15 ngày 10/02/2025 của Quốc hội)",
     "Các sở, ban,\nngành", "Sở Tư pháp", "Trước 01/6/2026",
     SBN - {"STP"}, {"STP"}, date(2026, 5, 31), ""),
    ("6", "Xây dựng Kế hoạch nâng cao Chỉ số CCHC, Chỉ số hài lòng về sự phục vụ hành chính, nâng cao hiệu quả quản trị và hành chính công tỉnh Thái Nguyên năm 2026 và tổ chức thực hiện.",
     "Sở Nội vụ", "Các sở, ban ngành,\nUBND cấp xã", "Quý II/2026 (sau\nkhi Bộ Nội vụ\ncông bố)",
     {"SNV"}, (SBN | XA) - {"SNV"}, date(2026, 6, 30), "Sau khi Bộ Nội vụ công bố"),
    ("7", "Tổ chức thực hiện rà soát, sắp xếp, tổ chức lại đơn vị sự nghiệp giáo dục công lập trên địa bàn tỉnh",
     "- Sở Giáo dục và\nĐào tạo;\n- UBND cấp xã", "Sở Nội vụ", "Năm 2026",
     {"SGDDT"} | XA, {"SNV"}, date(2026, 12, 31), ""),
    ("8", "Tổ chức thẩm định Đề án vị trí việc làm, khung năng lực, bảo đảm đúng người, đúng việc, nâng cao chất lượng, hợp lý về cơ cấu theo quy định",
     "Sở Nội vụ", "Các sở, ban, ngành", "Năm 2026",
     {"SNV"}, SBN - {"SNV"}, date(2026, 12, 31), ""),
    ("9", "Đo lường mức độ hài lòng của người dân đối với dịch vụ giáo dục công năm 2026",
     "Sở Giáo dục và\nĐào tạo", "Sở Nội vụ, UBND\ncấp xã", "Quý II/2026",
     {"SGDDT"}, {"SNV"} | XA, date(2026, 6, 30), ""),
    ("10", "Đo lường mức độ hài lòng của người dân đối với dịch vụ y tế công năm 2026",
     "Sở Y tế", "Sở Nội vụ, UBND\ncấp xã", "Quý IV/2026",
     {"SYT"}, {"SNV"} | XA, date(2026, 12, 31), ""),
    ("11", "Xây dựng quy định thi đua, khen thưởng phong trào thực hiện cải cách hành chính tỉnh Thái Nguyên giai đoạn 2026 – 2030",
     "Sở Nội vụ", "Các sở, ban, ngành\nliên quan; UBND\ncấp xã", "Năm 2026",
     {"SNV"}, (SBN | XA) - {"SNV"}, date(2026, 12, 31), ""),
    ("12", "Xây dựng Kế hoạch triển khai mô hình Chính quyền thân thiện, nhân dân phát huy quyền làm chủ tại UBND các xã, phường, trên địa bàn tỉnh Thái Nguyên năm 2026",
     "Sở Nội vụ", "Các sở, ban, ngành\nliên quan; UBND\ncấp xã", "Quý II/2026",
     {"SNV"}, (SBN | XA) - {"SNV"}, date(2026, 6, 30), ""),
    ("13", "Nghiên cứu xây dựng Quy chế và tổ chức đánh giá, xếp loại mức độ hoàn thành nhiệm vụ năm 2026 đối với các cơ quan, đơn vị, địa phương thuộc tỉnh Thái Nguyên (sau khi Chính phủ ban hành Nghị định đánh giá, xếp loại mức độ hoàn thành nhiệm vụ đối với tổ chức hành chính)",
     "Sở Nội vụ", "Các sở, ban, ngành,\nđơn vị liên quan;\nUBND cấp xã", "Quý IV/2026",
     {"SNV"}, (SBN | XA) - {"SNV"}, date(2026, 12, 31), ""),
    ("14", "Tổ chức Hội nghị đối thoại giữa Lãnh đạo tỉnh với cộng đồng doanh nghiệp trên địa bàn tỉnh (tối thiểu 03 Hội nghị)",
     "Sở Tài chính", "Các sở, ban, ngành\nliên quan; UBND\ncấp xã", "Năm 2026",
     {"STC"}, (SBN | XA) - {"STC"}, date(2026, 12, 31), ""),
    ("15", "Nghiên cứu triển khai Ứng dụng GIS (Building Information Modeling) và Bim (Geographic Information System) trong lĩnh vực quy hoạch, xây dựng đô thị; lĩnh vực giao thông, thẩm định dự án… trên địa bàn tỉnh.",
     "Sở Xây dựng", "Sở Khoa học và\nCông\nnghệ, Sở Tài chính", "Năm 2026",
     {"SXD"}, {"SKHCN", "STC"}, date(2026, 12, 31), ""),
    ("16", "Nâng cấp phần mềm đánh giá mức độ chuyển đổi số các cơ quan nhà nước trên địa bàn tỉnh",
     _KHCN, _ALL, "Quý III/2026", {"SKHCN"}, (SBN | XA) - {"SKHCN"}, date(2026, 9, 30), ""),
    ("17", "Triển khai phần mềm Hệ thống báo cáo ngày",
     _KHCN, _ALL, "Năm 2026", {"SKHCN"}, (SBN | XA) - {"SKHCN"}, date(2026, 12, 31), ""),
    ("18", "Triển khai hệ thống thông tin giải quyết TTHC tỉnh phù hợp với chỉ đạo của Trung ương",
     _KHCN, _ALL, "Năm 2026", {"SKHCN"}, (SBN | XA) - {"SKHCN"}, date(2026, 12, 31), ""),
    ("19", "Triển khai thí điểm Trung tâm giám sát, điều hành thông minh tỉnh Thái Nguyên",
     _KHCN, _ALL, "Quý II/2026", {"SKHCN"}, (SBN | XA) - {"SKHCN"}, date(2026, 6, 30), ""),
    ("20", "Nâng cấp, cập nhật tính năng của Nền tảng tích hợp, chia sẻ dữ liệu tỉnh (LGSP)",
     _KHCN, _ALL, "Quý IV/2026", {"SKHCN"}, (SBN | XA) - {"SKHCN"}, date(2026, 12, 31), ""),
    ("21", "Tham mưu UBND tỉnh đánh giá, công bố kết quả đánh giá, xếp hạng mức độ chuyển đổi số các cơ quan nhà nước trên địa bàn tỉnh",
     _KHCN, _ALL, "Quý IV/2026", {"SKHCN"}, (SBN | XA) - {"SKHCN"}, date(2026, 12, 31), ""),
    ("22", "Rà soát, cập nhật kiến trúc số tỉnh Thái Nguyên",
     _KHCN, _ALL, "Quý IV/2026", {"SKHCN"}, (SBN | XA) - {"SKHCN"}, date(2026, 12, 31), ""),
    ("23", "Hướng dẫn, hỗ trợ các sở, ban, ngành, UBND cấp xã thực hiện các quy trình đề nghị công nhận sáng kiến trong lĩnh vực CCHC năm 2026.",
     _KHCN, _ALL, "\nNăm 2026", {"SKHCN"}, (SBN | XA) - {"SKHCN"}, date(2026, 12, 31), ""),
]

# Seed 003: Sở Khoa học và Công nghệ's own plan; its units are its phòng.
UNITS_003 = [
    ("VPS", "Văn phòng Sở", "", "Các phòng, đơn vị thuộc Sở"),
    ("PCDS", "Phòng Chuyển đổi số", "", "Các phòng, đơn vị thuộc Sở; Các phòng chuyên môn"),
    ("PQLKH", "Phòng Quản lý Khoa học", "", "Các phòng, đơn vị thuộc Sở; Các phòng chuyên môn"),
    ("PQLCN", "Phòng Quản lý Chuyên ngành", "", "Các phòng, đơn vị thuộc Sở; Các phòng chuyên môn"),
    ("PBCVT", "Phòng Bưu chính - Viễn thông", "", "Các phòng, đơn vị thuộc Sở; Các phòng chuyên môn"),
]
PHONG = {"PCDS", "PQLKH", "PQLCN", "PBCVT"}
HEADER_003 = [["Số TT", "Nội dung công việc", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]]
_VP_ALL = "Các phòng, đơn vị thuộc Sở"
_PCDS = "Phòng Chuyên đổi số"  # sic: the document's typo
SEED_003 = [
    ("1.", "Xây dựng Kế hoạch tuyên truyền CCHC; kế hoạch kiểm tra CCHC, kiểm tra công vụ năm 2026 và tổ chức triển khai thực hiện",
     "Văn phòng Sở", _VP_ALL, "Sau khi có Kế hoạch của UBND tỉnh (dự kiến quý I/2026)",
     {"VPS"}, PHONG, date(2026, 3, 31), "Sau khi có Kế hoạch của UBND tỉnh"),
    ("2.", "Xây dựng kế hoạch nâng cao chất lượng kiểm soát TTHC, cải cách TTHC gắn với chuyển đổi số trên địa bàn tỉnh Thái Nguyên",
     "Văn phòng Sở", _VP_ALL, "Sau khi có Kế hoạch của UBND tỉnh (dự kiến tháng 01/2026)",
     {"VPS"}, PHONG, date(2026, 1, 31), "Sau khi có Kế hoạch của UBND tỉnh"),
    ("3.", "Xây dựng và triển khai kế hoạch đánh giá, xác định Chỉ số CCHC; đo lường mức độ hài lòng của người dân, tổ chức đối với sự phục vụ hành chính năm 2026 của Sở và tổ chức thực hiện",
     "Văn phòng Sở", _VP_ALL, "Sau khi có Kế hoạch của UBND tỉnh (dự kiến quý III/2026)",
     {"VPS"}, PHONG, date(2026, 9, 30), "Sau khi có Kế hoạch của UBND tỉnh"),
    ("4.", "Tổ chức triển khai xử lý các văn bản QPPL chịu sự tác động của việc sắp xếp tổ chức bộ máy đối với các văn bản do cơ quan, đơn vị mình tham mưu tại Danh mục văn bản QPPL chịu sự tác động của việc sắp xếp tổ chức bộ máy nhà nước (kèm theo Báo cáo số 287/BC-BTP ngày 16/6/2025 của Bộ Tư pháp về kết quả rà soát hệ thống hóa văn bản QPPL chịu sự tác động của việc sắp xếp tổ chức bộ máy quy định tại Nghị quyết số 190/2025/QH15 QH15 ngày 10/02/2025 của Quốc hội)",
     "Các phòng chuyên môn", "Văn phòng Sở", "Trước 01/6/2026",
     PHONG, {"VPS"}, date(2026, 5, 31), ""),
    ("5.", "Xây dựng Kế hoạch nâng cao Chỉ số CCHC, Chỉ số hài lòng về sự phục vụ hành chính, nâng cao hiệu quả quản trị và hành chính công tỉnh Thái Nguyên năm 2026 và tổ chức thực hiện.",
     "Văn phòng Sở", _VP_ALL, "Quý II/2026 (sau khi UBND tỉnh công bố)",
     {"VPS"}, PHONG, date(2026, 6, 30), "Sau khi UBND tỉnh công bố"),
    ("6.", "Nâng cấp phần mềm đánh giá mức độ chuyển đổi số các cơ quan nhà nước trên địa bàn tỉnh",
     _PCDS, "Các sở, ban, ngành; UBND cấp xã", "Quý III/2026", {"PCDS"}, SBN | XA, date(2026, 9, 30), ""),
    ("7.", "Triển khai phần mềm Hệ thống báo cáo ngày",
     _PCDS, "Các sở, ban, ngành; UBND cấp xã", "Năm 2026", {"PCDS"}, SBN | XA, date(2026, 12, 31), ""),
    ("8.", "Triển khai hệ thống thông tin giải quyết TTHC tỉnh phù hợp với chỉ đạo của Trung ương",
     _PCDS, "Các sở, ban, ngành; UBND cấp xã", "Năm 2026", {"PCDS"}, SBN | XA, date(2026, 12, 31), ""),
    ("9.", "Triển khai thí điểm Trung tâm giám sát, điều hành thông minh tỉnh Thái Nguyên",
     _PCDS, "Các sở, ban, ngành; UBND cấp xã", "Quý II/2026", {"PCDS"}, SBN | XA, date(2026, 6, 30), ""),
    ("10.", "Nâng cấp, cập nhật tính năng của Nền tảng tích hợp, chia sẻ dữ liệu tỉnh (LGSP)",
     _PCDS, "Các sở, ban, ngành; UBND cấp xã", "Quý IV/2026", {"PCDS"}, SBN | XA, date(2026, 12, 31), ""),
    ("11.", "Tham mưu UBND tỉnh đánh giá, công bố kết quả đánh giá, xếp hạng mức độ chuyển đổi số các cơ quan nhà nước trên địa bàn tỉnh",
     _PCDS, "Các sở, ban, ngành; UBND cấp xã", "Quý IV/2026", {"PCDS"}, SBN | XA, date(2026, 12, 31), ""),
    ("12.", "Rà soát, cập nhật kiến trúc số tỉnh Thái Nguyên",
     _PCDS, "Các sở, ban, ngành; UBND cấp xã", "Quý IV/2026", {"PCDS"}, SBN | XA, date(2026, 12, 31), ""),
    ("13.", "Hướng dẫn, hỗ trợ các sở, ban, ngành, UBND cấp xã thực hiện các quy trình đề nghị công nhận sáng kiến trong lĩnh vực CCHC năm 2026.",
     "Phòng quản lý Chuyên ngành", "Các sở, ban, ngành; UBND cấp xã", "Năm 2026", {"PQLCN"}, SBN | XA, date(2026, 12, 31), ""),
]

# Seed 004: two header rows ("Đơn vị thực hiện" over Chủ trì | Phối hợp), roman groups, Sản phẩm.
HEADER_004 = [
    ["STT", "Nội dung nhiệm vụ", "Đơn vị thực hiện", "<", "Thời gian hoàn thành", "Sản phẩm"],
    ["^", "^", "Chủ trì", "Phối hợp", "^", "^"],
]
_G1 = "Cắt giảm, đơn giản hóa TTHC liên quan đến hoạt động sản xuất, kinh doanh"
_G2 = "Cắt giảm, đơn giản hóa TTHC nội bộ"
_G3 = "Thực hiện TTHC phi địa giới hành chính"
_G4 = "Thực hiện số hóa 100% hồ sơ, kết quả giải quyết TTHC"
_SBN_DP = "Các sở, ban, ngành, địa phương"
_VP = "Văn phòng UBND tỉnh"
# Each table is a list of rows; a group row is ("I", title) and may be merged across.
TABLES_004 = [
    [
        ("I", _G1),
        ("1", "Rà soát, cắt giảm, đơn giản hóa TTHC", _SBN_DP, _VP, "Trước ngày 01/6/2026", "Tờ trình đề xuất phương án đơn giản hóa"),
        ("II", _G2),
        ("1", "Trình công bố TTHC nội bộ giữa các cơ quan nhà nước được quy định tại văn bản của Trung ương", "Các sở, ban, ngành", _VP, "Trước ngày 25/4/2026", "Tờ trình công bố TTHC"),
        ("2", "Rà soát, đề xuất phương án đơn giản hóa đối với TTHC được quy định tại văn bản của Trung ương", "Các sở, ban, ngành", _VP, "Trước ngày 01/6/2026", "Báo cáo phương án đơn giản hóa"),
        ("3", "Trình công bố TTHC nội bộ giữa các cơ quan nhà nước được quy định văn bản của HĐND, UBND tỉnh", "Các sở, ban, ngành", _VP, "Trước ngày 25/4/2026", "Tờ trình công bố TTHC"),
        ("4", "Rà soát, đề xuất phương án đơn giản hóa đối với TTHC được quy định văn bản của HĐND, UBND tỉnh", "Các sở, ban, ngành", _VP, "Trước ngày 01/6/2026", "Tờ trình phê duyệt phương án"),
    ],
    [
        ("5", "Thực thi hoàn thành phương án đơn giản hóa", "Các sở, ban, ngành", _VP, "Theo lộ trình được cấp có thẩm quyền phê duyệt", "Văn bản quy định TTHC nội bộ được ban hành/sửa đổi/bổ sung/thay thế/hủy bỏ/bãi bỏ"),
        ("6", "Công bố, rà soát, đơn giản hóa, thực thi phương án đơn giản hóa TTHC nội bộ trong từng cơ quan, đơn vị, địa phương", _SBN_DP, _VP, "Thường xuyên",
         "Quyết định công bố TTHC; Quyết định phê duyệt phương án đơn giản hóa; Văn bản quy định TTHC nội bộ được ban hành/sửa đổi/bổ sung/thay thế/hủy bỏ/bãi bỏ"),
        ("III", _G3),
        ("1", "Rà soát TTHC thực hiện không phụ thuộc vào địa giới hành chính", "Các sở, ban, ngành", "Văn phòng UBND tỉnh, UBND cấp xã", "Trước ngày 15/6/2026", "Tờ trình phê duyệt danh mục; báo cáo rà soát"),
    ],
    [
        ("2", "Thực hiện cơ chế giao doanh nghiệp cung ứng dịch vụ bưu chính công ích đảm nhận một hoặc một số công việc trong quá trình hướng dẫn, tiếp nhận, số hóa hồ sơ, trả kết quả giải quyết TTHC, nhằm nâng cao hiệu quả cung ứng dịch vụ hành chính công.",
         _SBN_DP, "Văn phòng UBND tỉnh, các cơ quan liên quan", "Thường xuyên",
         "Doanh nghiệp cung ứng dịch vụ bưu chính công ích đảm nhận một hoặc một số công việc trong quá trình hướng dẫn, tiếp nhận, số hóa hồ sơ, trả kết quả giải quyết TTHC"),
        ("IV", _G4, _SBN_DP, "Văn phòng UBND tỉnh, sở Khoa học và Công nghệ", "Thường xuyên", ""),
    ],
]
_L = (SBN | XA) - {"VPUBND"}
# STT, Lĩnh vực, lead codes, coop codes, due
EXPECTED_004 = [
    ("1", _G1, _L, {"VPUBND"}, date(2026, 5, 31)),
    ("1", _G2, SBN - {"VPUBND"}, {"VPUBND"}, date(2026, 4, 24)),
    ("2", _G2, SBN - {"VPUBND"}, {"VPUBND"}, date(2026, 5, 31)),
    ("3", _G2, SBN - {"VPUBND"}, {"VPUBND"}, date(2026, 4, 24)),
    ("4", _G2, SBN - {"VPUBND"}, {"VPUBND"}, date(2026, 5, 31)),
    ("5", _G2, SBN - {"VPUBND"}, {"VPUBND"}, None),
    ("6", _G2, _L, {"VPUBND"}, None),
    ("1", _G3, SBN - {"VPUBND"}, {"VPUBND"} | XA, date(2026, 6, 14)),
    ("2", _G3, _L, {"VPUBND"}, None),
    ("IV", _G4, _L - {"SKHCN"}, {"VPUBND", "SKHCN"}, None),
]
