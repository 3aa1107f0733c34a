"""The demo's months carry plans and model villages, and its summary shows plan against result
with the figures of the marts (a real run of `ntm demo`'s code on a real PostgreSQL)."""

from __future__ import annotations

from datetime import date

from tests.fixtures.warehouse import query_rows

APRIL, MAY = date(2023, 4, 1), date(2023, 5, 1)


def test_the_demo_summary_shows_plan_against_result(demo_run) -> None:
    from ingest.contract import PLAN_TARGETS

    out, url = demo_run.out, demo_run.url
    assert "Plan against result, 05/2023" in out
    # April's plans came with the first month; in April 259 sent nothing and 260 an unreadable
    # file, so their plans never arrived: 4 districts have one
    plans = query_rows(url, """SELECT DISTINCT unit_code FROM marts.mart_plan
                                              WHERE unit_level = 'district' AND month = %s ORDER BY 1""", MAY)
    assert [r["unit_code"] for r in plans] == ["258", "262", "263", "264"]
    assert "4 districts with a plan for 2023" in out
    province = query_rows(url, """SELECT indicator, target, actual, round(pct_of_target, 1) AS pct
                                                 FROM marts.mart_plan WHERE unit_level = 'province' AND month = %s""",
                          MAY)
    assert {r["indicator"] for r in province} >= {"communes_ntm", "model_villages", "ocop_products"}
    lines = [line for line in out.splitlines() if line.strip().startswith("│ 27")]
    for r in province:   # each province row of the table shows the mart's target, actual and share
        label = PLAN_TARGETS[r["indicator"]].split()[0]   # the label wraps in a narrow terminal
        shown = ["—" if v is None else v for v in (r["target"], r["actual"], r["pct"])]
        assert any(label in line and all(f"│ {v} " in line for v in shown) for line in lines), (r, lines)
    [models] = query_rows(url, """SELECT model_villages, model_roads FROM marts.mart_progress
                                                 WHERE unit_level = 'province' AND month = %s""", MAY)
    assert models["model_villages"] > 0
    assert f"{models['model_villages']} model villages, {models['model_roads']} model roads" in out
