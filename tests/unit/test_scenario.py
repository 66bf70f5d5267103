import numpy as np
import pytest

from commonprosperity import Scenario, ScenarioError


def test_status_quo_2021_cited_values():
    """个人所得税法 (2018): 60,000 basic deduction; 3 %…45 % on 0/36k/…/960k."""
    s = Scenario.status_quo(2021)
    assert s.income_tax.basic_deduction == 60_000
    assert s.income_tax.thresholds == (
        0,
        36_000,
        144_000,
        300_000,
        420_000,
        660_000,
        960_000,
    )
    assert s.income_tax.rates == (0.03, 0.10, 0.20, 0.25, 0.30, 0.35, 0.45)
    assert s.social_insurance.pension_rate == 0.08
    assert s.income_tax.property_rate == 0.20


def test_fields_not_given_take_the_status_quo():
    s = Scenario(year=2025, transfers={"dibao_monthly": 1_300})
    sq = Scenario.status_quo(2025)
    assert s.transfers.dibao_monthly == 1_300
    assert s.transfers.dibao_take_up == sq.transfers.dibao_take_up
    assert s.income_tax == sq.income_tax


def test_toml_round_trip(tmp_path):
    s = Scenario.status_quo(2024).replace(
        {"income_tax.rates[2]": 0.18, "transfers.dibao_monthly": 1234.5}
    )
    path = tmp_path / "s.toml"
    s.to_toml(path)
    assert Scenario.from_toml(path) == s


def test_toml_file_states_only_the_differences(tmp_path):
    path = tmp_path / "reform.toml"
    path.write_text(
        "year = 2025\n[income_tax]\nbasic_deduction = 80_000\n"
        "[transfers]\ndibao_monthly = 1_300\n",
        encoding="utf-8",
    )
    s = Scenario.from_toml(path)
    assert s.income_tax.basic_deduction == 80_000
    assert s.transfers.dibao_monthly == 1_300
    assert s.wages == Scenario.status_quo(2025).wages


def test_replace_revalidates_and_leaves_original():
    s = Scenario.status_quo(2022)
    t = s.replace({"income_tax.rates[2]": 0.18})
    assert t.income_tax.rates[2] == 0.18
    assert s.income_tax.rates[2] == 0.20
    with pytest.raises(ScenarioError, match=r"income_tax.rates\[2\].*fractions"):
        s.replace({"income_tax.rates[2]": 1.2})


def test_replace_refuses_two_changes_of_one_value():
    s = Scenario.status_quo(2022)
    assert len(s.income_tax.rates) == 7
    with pytest.raises(ScenarioError, match=r"rates\[-1\] and .*rates\[6\] both set"):
        s.replace({"income_tax.rates[-1]": 0.4, "income_tax.rates[6]": 0.3})
    # An item before its whole list would be lost under the list.
    with pytest.raises(ScenarioError, match=r"rates\[6\] and income_tax.rates overlap"):
        s.replace({"income_tax.rates[6]": 0.3, "income_tax.rates": [0.1] * 7})
    # The whole list, then an item set into it: applied in that order.
    t = s.replace({"income_tax.rates": [0.1] * 7, "income_tax.rates[-1]": 0.3})
    assert t.income_tax.rates == (0.1,) * 6 + (0.3,)
    assert s.replace({"income_tax.rates[0]": 0.01}).income_tax.rates[1] == 0.10


@pytest.mark.parametrize("path", ["", " ", "."])
def test_an_empty_path_says_what_a_path_looks_like(path):
    with pytest.raises(ScenarioError, match="dotted path such as"):
        Scenario.status_quo(2022).get(path)


def test_frozen():
    s = Scenario.status_quo(2021)
    says = r"cannot be changed in place \(transfers\.dibao_monthly\); use scenario"
    with pytest.raises(ScenarioError, match=says):
        s.transfers.dibao_monthly = 5  # type: ignore[misc]
    with pytest.raises(ScenarioError, match=r"in place \(year\)"):
        del s.year
    assert s == Scenario.status_quo(2021)


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        (
            {"transfers.dibao_montly": 1},
            ["transfers.dibao_montly", "unknown", "transfers.dibao_monthly"],
        ),
        ({"transfers.dibao": 1}, ["renamed to transfers.dibao_monthly"]),
        ({"transfers.dibao_monthly": -5}, ["transfers.dibao_monthly", ">= 0", "-5"]),
        (
            {
                "income_tax.thresholds": [
                    0,
                    50_000,
                    40_000,
                    300_000,
                    420_000,
                    660_000,
                    960_000,
                ]
            },
            ["strictly increasing", "thresholds[2]"],
        ),
        ({"income_tax.rates": [0.03, 0.1]}, ["one rate per bracket"]),
        ({"income_tax.rates[9]": 0.1}, ["out of range"]),
        ({"wages.growth_rate": 2.0}, ["wages.growth_rate"]),
        ({"transfers.dibao_monthly": "lots"}, ["transfers.dibao_monthly", "number"]),
        ({"transfers.dibao_monthly": float("inf")}, ["transfers.dibao_monthly"]),
        ({"transfers.dibao_monthly": 1e300}, ["transfers.dibao_monthly"]),
        (
            {"social_insurance.base_floor_monthly": 50_000},
            ["base_floor_monthly must be <= base_ceiling_monthly"],
        ),
        ({"year": 1999}, ["year"]),
    ],
)
def test_invalid_changes_name_the_key(changes, fragments):
    with pytest.raises(ScenarioError) as info:
        Scenario.status_quo(2021).replace(changes)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_all_errors_at_once():
    with pytest.raises(ScenarioError) as info:
        Scenario(
            year=2021,
            transfers={"dibao_monthly": -1, "dibao_take_up": 2},
            wages={"growth_rate": 5},
        )
    message = str(info.value)
    for key in (
        "transfers.dibao_monthly",
        "transfers.dibao_take_up",
        "wages.growth_rate",
    ):
        assert key in message


def test_year_without_status_quo_needs_every_field():
    with pytest.raises(ScenarioError, match="no status quo is shipped for 2030"):
        Scenario(year=2030)


def test_as_arrays_are_annual_and_quick_deductions_derived():
    a = Scenario.status_quo(2021).as_arrays()
    np.testing.assert_allclose(
        a.quick_deductions, [0, 2520, 16920, 31920, 52920, 85920, 181920], atol=1e-6
    )
    assert a.params.dtype == np.float64


def test_empty_and_non_toml_files(tmp_path):
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ScenarioError, match="empty"):
        Scenario.from_toml(empty)
    bad = tmp_path / "bad.toml"
    bad.write_text("year = = 2", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        Scenario.from_toml(bad)
    with pytest.raises(ScenarioError, match="cannot read"):
        Scenario.from_toml(tmp_path / "missing.toml")
