"""The cascade: Sở Khoa học và Công nghệ's own master from the province plan (seed 000 → 003)."""

import pytest
from click.testing import CliRunner
from seeds import SEED_003

from ccpkh_excel import read_plan
from ccpkh_excel.domain.sample import sample_plan
from ccpkh_excel.domain.vntext import fold
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.frontends.cli import cli


def test_sample_plan_text_from_seed_000():
    plan = sample_plan()
    assert len(plan.basis) == 7 and plan.basis[0].startswith("Căn cứ Nghị quyết số 57-NQ/TW")
    areas = list(dict.fromkeys(a for a, _ in plan.content))
    assert areas[0] == "Cải cách thể chế" and len(areas) == 7
    assert (
        "SKHCN",
        "Chủ trì, tham mưu triển khai nội dung xây dựng, phát triển Chính quyền điện tử, Chính quyền số",
    ) in plan.organization
    assert {m for m, _ in plan.purposes} == {"Mục đích", "Yêu cầu"}


def test_derive_for_skhcn_has_every_task_of_seed_003_with_its_role(tmp_path, sample_master_copy):
    out = tmp_path / "skhcn.xlsx"
    result = CliRunner().invoke(cli, ["derive", str(sample_master_copy), "--unit", "SKHCN", "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = read_plan(out)
    by_content = {fold(t.content): t for t in plan.tasks}
    # seed 003 rewrote some wording ("của Sở" for "của các sở, ban, ngành, UBND cấp xã"): match on the parent's text
    parent = {fold(t.content): t for t in read_plan(sample_master_copy).tasks}
    expected_roles = {1: "phối hợp", 2: "phối hợp", 3: "phối hợp", 4: "chủ trì", 5: "phối hợp"} | {
        n: "chủ trì" for n in range(6, 14)
    }
    for n, row in enumerate(SEED_003, start=1):
        content = fold(row[1])
        key = (
            content if content in by_content else next(k for k in parent if fold(row[1])[:60] in k or k[:60] in content)
        )
        task = by_content[key]
        assert f"Sở Khoa học và Công nghệ {expected_roles[n]} theo 188/KH-UBND" in task.note, (n, task.note)
        assert task.due == row[7] or n in (1, 2, 3)  # 003 moved three dates ("sau khi có Kế hoạch của UBND tỉnh")
    assert len(plan.tasks) == 20
    assert plan.basis[-1] == (
        "Căn cứ Kế hoạch số 188/KH-UBND ngày 27/12/2025 của Ủy ban nhân dân tỉnh Thái Nguyên "
        "về cải cách hành chính tỉnh Thái Nguyên năm 2026"
    )
    assert plan.basis[:7] == read_plan(sample_master_copy).basis
    assert plan.info["Cơ quan ban hành"] == "Sở Khoa học và Công nghệ"
    assert plan.info["Cơ quan chủ quản"] == "Ủy ban nhân dân tỉnh Thái Nguyên"
    assert plan.info["Trích yếu"] == "Cải cách hành chính của Sở Khoa học và Công nghệ năm 2026"
    assert plan.info["Mã kế hoạch"] != read_plan(sample_master_copy).info["Mã kế hoạch"]
    assert [h for h, _ in plan.organization] == ["SKHCN"] * 4
    assert [t.code for t in plan.tasks] == [f"NV{i:03d}" for i in range(1, 21)]


def test_derive_refuses_unknown_or_idle_units(sample_master_copy, tmp_path):
    from ccpkh_excel.features.cascade import derive

    with pytest.raises(CcpkhError, match="Không có đơn vị mã XYZ"):
        derive(sample_master_copy, "XYZ", tmp_path / "x.xlsx")
    with pytest.raises(CcpkhError, match="không chủ trì hay phối hợp nhiệm vụ nào"):
        derive(sample_master_copy, "TTTT", tmp_path / "x.xlsx")
