"""Administrative units: the built-in trees, browsing them, importing a legacy tree from CSV."""

from __future__ import annotations

from pathlib import Path

from services.cli import main


def test_builtin_trees_are_browsable(call) -> None:
    provinces = call("GET", "/api/v1/units?tree=pre2025")
    assert provinces.status == 200
    assert len(provinces.body) == 63
    districts = call("GET", "/api/v1/units?tree=pre2025&parent=45").body
    assert {"code": "461", "ref": "pre2025:district:461"}.items() <= next(
        d for d in districts if d["code"] == "461"
    ).items()
    communes = call("GET", "/api/v1/units?tree=pre2025&parent=461&level=commune").body
    assert "19333" in [c["code"] for c in communes]
    assert len(call("GET", "/api/v1/units?tree=2025").body) == 34
    assert call("GET", "/api/v1/units?tree=nowhere").status == 404


def test_import_a_legacy_tree_from_csv(call, registration, tmp_path: Path) -> None:
    good = tmp_path / "tree.csv"
    good.write_text(
        "level,code,name,parent_code\n"
        "province,45,Tỉnh Quảng Trị,\n"
        "district,461,Thành phố Đông Hà,45\n"
        "commune,19333,Phường 1,461\n"
        "commune,19336,Phường Đông Lễ,461\n",
        encoding="utf-8",
    )
    assert main(["units", str(good), "--tree", "test-import"]) == 0
    communes = call("GET", "/api/v1/units?tree=test-import&parent=461").body
    assert [c["code"] for c in communes] == ["19333", "19336"]

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "level,code,name,parent_code\nprovince,45,Tỉnh Quảng Trị,\ncommune,19999,Xã Mồ Côi,999\n",
        encoding="utf-8",
    )
    assert main(["units", str(bad), "--tree", "test-import"]) == 1
    # A refused file changes nothing: the earlier import is still there, whole.
    again = call("GET", "/api/v1/units?tree=test-import&parent=461").body
    assert [c["code"] for c in again] == ["19333", "19336"]
