"""Administrative units: the built-in trees, browsing them, importing a legacy tree from CSV."""

from __future__ import annotations

from pathlib import Path

from services.cli import main


def test_builtin_trees_are_browsable(call) -> None:
    provinces = call("GET", "/api/v1/units?tree=pre2025")
    assert provinces.status == 200
    assert len(provinces.body["items"]) == 63 and provinces.body["next"] is None
    districts = call("GET", "/api/v1/units?parent=pre2025:province:45").body["items"]
    assert {"code": "461", "ref": "pre2025:district:461"}.items() <= next(
        d for d in districts if d["code"] == "461"
    ).items()
    assert {d["level"] for d in districts} == {"district"}
    communes = call("GET", "/api/v1/units?tree=pre2025&parent=pre2025:district:461&level=commune")
    assert "19333" in [c["code"] for c in communes.body["items"]]
    # The default tree is the regime's: four-level files dossiers in the pre-2025 tree.
    assert len(call("GET", "/api/v1/units").body["items"]) == 63
    assert len(call("GET", "/api/v1/units?tree=2025").body["items"]) == 34
    # The current tree has no districts: its communes are the provinces' children.
    two_tier = call("GET", "/api/v1/units?parent=2025:province:44").body["items"]
    assert two_tier and {c["level"] for c in two_tier} == {"commune"}
    assert call("GET", "/api/v1/units?tree=nowhere").status == 404


def test_units_come_a_page_at_a_time_in_code_order(call) -> None:
    """A whole level (every commune of a tree) is thousands of units: paged by code."""
    whole = call("GET", "/api/v1/units?tree=2025&level=commune&limit=500").body
    assert len(whole["items"]) == 500 and whole["next"] == whole["items"][-1]["code"]
    seen: list[str] = []
    after = None
    for _ in range(3):
        query = "/api/v1/units?tree=2025&level=commune&limit=200" + (
            f"&after={after}" if after else ""
        )
        reply = call("GET", query).body
        seen += [u["code"] for u in reply["items"]]
        after = reply["next"]
    assert seen[:500] == [u["code"] for u in whole["items"]]
    assert seen == sorted(set(seen)) and len(seen) == 600
    # The default page is 200; more than 500 at once is refused.
    assert len(call("GET", "/api/v1/units?tree=2025&level=commune").body["items"]) == 200
    assert call("GET", "/api/v1/units?tree=2025&level=commune&limit=501").status == 422


def test_product_sets_are_one_page_by_default_and_page_by_code(call) -> None:
    every = call("GET", "/api/v1/product-sets").body
    codes = [s["set_code"] for s in every["items"]]
    assert (len(codes), every["next"], codes) == (26, None, sorted(codes))
    first = call("GET", "/api/v1/product-sets?limit=10").body
    assert [s["set_code"] for s in first["items"]] == codes[:10] and first["next"] == codes[9]
    rest = call("GET", f"/api/v1/product-sets?limit=20&after={first['next']}").body
    assert [s["set_code"] for s in rest["items"]] == codes[10:] and rest["next"] is None


def test_an_empty_level_or_a_unit_without_children_is_an_empty_list(call) -> None:
    for path in (
        "/api/v1/units?tree=2025&level=district",  # was 404 "No such tree"
        "/api/v1/units?parent=2025:province:44&level=district",
        "/api/v1/units?parent=pre2025:province:45&level=commune",  # communes are a district's
        "/api/v1/units?parent=pre2025:commune:19333",
    ):
        reply = call("GET", path)
        assert (reply.status, reply.body) == (200, {"items": [], "next": None}), path


def test_the_parent_is_a_unit_reference(call) -> None:
    for parent in ("45", "pre2025:45", "pre2025:ward:45", "national", "a:b:c:d"):
        reply = call("GET", f"/api/v1/units?parent={parent}")
        assert reply.status == 422, parent
        assert reply.headers["Content-Type"].startswith("application/problem+json")
        assert "tree:level:code" in reply.body["errors"]["parent"][0], reply.body
    # A tree beside the parent must be the parent's own.
    mixed = call("GET", "/api/v1/units?tree=2025&parent=pre2025:province:45")
    assert mixed.status == 422 and "pre2025" in mixed.body["errors"]["parent"][0]
    # Codes are unique within a level only: a district's code named as a province is no unit.
    for parent in ("pre2025:province:461", "pre2025:district:45", "nowhere:province:45"):
        reply = call("GET", f"/api/v1/units?parent={parent}")
        assert reply.status == 404, parent


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
    communes = call("GET", "/api/v1/units?parent=test-import:district:461").body["items"]
    assert [c["code"] for c in communes] == ["19333", "19336"]

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "level,code,name,parent_code\nprovince,45,Tỉnh Quảng Trị,\ncommune,19999,Xã Mồ Côi,999\n",
        encoding="utf-8",
    )
    assert main(["units", str(bad), "--tree", "test-import"]) == 1
    # A refused file changes nothing: the earlier import is still there, whole.
    again = call("GET", "/api/v1/units?parent=test-import:district:461").body["items"]
    assert [c["code"] for c in again] == ["19333", "19336"]
