"""docs/scenario.md is the page its generator writes from the code.

STYLE.md (Docs): "The scenario reference page is generated from
Scenario.model_json_schema(), so the parameter docs cannot drift".
"""

import importlib.util
from pathlib import Path

from commonprosperity import Scenario, published

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _generator():
    path = DOCS / "generate_scenario_reference.py"
    spec = importlib.util.spec_from_file_location("generate_scenario_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_scenario_reference_is_current():
    written = (DOCS / "scenario.md").read_text(encoding="utf-8")
    assert written == _generator().page(), (
        "docs/scenario.md is stale: run `python docs/generate_scenario_reference.py` "
        "from the repository root and commit docs/scenario.md"
    )


def test_every_key_has_a_row_with_each_years_status_quo_and_grade():
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in (DOCS / "scenario.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    }
    assert set(rows) == set(Scenario.paths()) - {"year"}
    # Hand-read values of the status quo (docs/model-rules.md, the 2018 IIT law).
    cells = [c.strip() for c in rows["income_tax.basic_deduction"].split("|")[4:-1]]
    assert cells == ["60,000 (A)"] * len(published.POLICY_YEARS)
    dibao = [c.strip() for c in rows["transfers.dibao_monthly"].split("|")[4:-1]]
    quo = Scenario.status_quo(2025).transfers.dibao_monthly
    grade = published.policy_values(2025)["transfers.dibao_monthly"].grade
    assert dibao[-1] == f"{quo:,.0f} ({grade})"
    rates = rows["income_tax.rates"].split("|")[4].strip()
    assert rates == "0.03; 0.1; 0.2; 0.25; 0.3; 0.35; 0.45 (A)"
