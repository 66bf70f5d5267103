"""Probe of Scenario, its TOML reading and dotted paths, and sweep files.

Each test names the input that went wrong before its fix; expected values and
messages are derived here from the rules (every problem named by key, no Python
error for user input, nothing accepted that the schema does not define).
"""

from __future__ import annotations

import pytest

from commonprosperity import Scenario, ScenarioError
from commonprosperity._sweepfile import read_sweep_file

SQ = Scenario.status_quo(2025)
N_RATES = len(SQ.income_tax.rates)  # 7 brackets in the 2018 law


def write(tmp_path, text, name="s.toml", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ----------------------------------------------------------- dotted paths
def test_a_quoted_dotted_key_in_a_file_is_named_as_one_key(tmp_path):
    """It read "transfers.dibao_monthly: unknown ...; did you mean
    transfers.dibao_monthly", the same name."""
    path = write(tmp_path, 'year = 2024\n"transfers.dibao_monthly" = 1300\n')
    with pytest.raises(ScenarioError) as info:
        Scenario.from_toml(path)
    message = str(info.value)
    assert "'transfers.dibao_monthly' is one quoted key, not a dotted path" in message
    assert "did you mean" not in message


def test_a_path_with_spaces_is_shown_quoted():
    with pytest.raises(ScenarioError) as info:
        SQ.replace({"transfers.dibao_monthly ": 1300})
    assert "'transfers.dibao_monthly ': unknown scenario key (it has surrounding " in (
        str(info.value)
    )
    assert "did you mean 'transfers.dibao_monthly'?" in str(info.value)


@pytest.mark.parametrize(
    "path",
    [
        "wages.growth_rate\n",  # `$` matched before a trailing newline
        "income_tax.rates[\u0663]",  # ARABIC-INDIC DIGIT THREE: `\d` took it as 3
        "income_tax.rates[\uff12]",  # FULLWIDTH DIGIT TWO
    ],
)
def test_paths_with_a_newline_or_non_ascii_digits_are_not_keys(path):
    with pytest.raises(ScenarioError, match="unknown scenario key"):
        SQ.replace({path: 0.1})
    with pytest.raises(ScenarioError, match="unknown scenario key"):
        SQ.get(path)


def test_get_and_replace_give_the_same_reason_for_a_bad_index():
    """get() called a known list with too few items an unknown key."""
    message = f"index {N_RATES + 2} out of range for {N_RATES} elements"
    with pytest.raises(ScenarioError, match=message):
        SQ.replace({f"income_tax.rates[{N_RATES + 2}]": 0.1})
    with pytest.raises(ScenarioError, match=message) as info:
        SQ.get(f"income_tax.rates[{N_RATES + 2}]")
    assert "unknown" not in str(info.value)
    with pytest.raises(ScenarioError, match="is not a list; drop the \\[0\\]"):
        SQ.get("wages.growth_rate[0]")
    assert SQ.get(f"income_tax.rates[-{N_RATES}]") == SQ.income_tax.rates[0]


def test_a_range_then_an_item_is_applied_in_order():
    """A schedule given as a range was kept as a range: "is not a list"."""
    t = SQ.replace({"income_tax.business_thresholds": range(0, 50_000, 10_000)})
    assert t.income_tax.business_thresholds == (0, 10_000, 20_000, 30_000, 40_000)
    u = SQ.replace(
        {
            "income_tax.business_thresholds": range(0, 50_000, 10_000),
            "income_tax.business_thresholds[4]": 45_000,
        }
    )
    assert u.income_tax.business_thresholds[-1] == 45_000


# ------------------------------------------------------------- validation
def test_a_set_is_not_a_schedule():
    """A set was read in its iteration order: brackets in hash order."""
    with pytest.raises(ScenarioError) as info:
        Scenario(year=2025, income_tax={"thresholds": {0.0, 1e5}, "rates": [0.1, 0.2]})
    assert "income_tax.thresholds" in str(info.value)
    assert "not a set" in str(info.value)


def test_both_social_insurance_rules_are_reported():
    """Floor above ceiling hid a contribution total above 1."""
    with pytest.raises(ScenarioError) as info:
        SQ.replace(
            {
                "social_insurance.base_floor_monthly": 30_000,
                "social_insurance.base_ceiling_monthly": 20_000,
                "social_insurance.pension_rate": 0.9,
            }
        )
    text = str(info.value)
    assert "base_floor_monthly must be <= base_ceiling_monthly" in text
    # 0.9 + the status-quo medical, unemployment and housing-fund rates
    si = SQ.social_insurance
    total = 0.9 + si.medical_rate + si.unemployment_rate + si.housing_fund_rate
    assert f"must add up to at most 1; got {total:.6g}" in text


def test_one_bad_rate_is_not_also_an_empty_schedule():
    """One rate > 1 also gave "Tuple should have at least 1 item ..., not 0"."""
    with pytest.raises(ScenarioError) as info:
        SQ.replace({"income_tax.business_rates": [2.0]})
    text = str(info.value)
    assert "income_tax.business_rates[0]: must be <= 1" in text
    assert "at least" not in text and "Tuple" not in text


def test_schedule_length_messages_say_what_is_allowed():
    with pytest.raises(ScenarioError) as info:
        SQ.replace({"income_tax.thresholds": [], "income_tax.rates": []})
    assert "income_tax.thresholds: must have at least 1 item; got 0" in str(info.value)
    n = 21
    with pytest.raises(ScenarioError) as info:
        SQ.replace(
            {
                "income_tax.thresholds": [1000.0 * i for i in range(n)],
                "income_tax.rates": [0.1] * n,
            }
        )
    assert f"income_tax.rates: must have at most 20 items; got {n}" in str(info.value)


# ------------------------------------------- pydantic's doors, all checked
def test_an_invalid_section_instance_does_not_get_into_a_scenario():
    """model_construct / model_copy(update=) sections were taken unchecked."""
    bad = SQ.transfers.model_construct(
        **{**SQ.transfers.model_dump(), "dibao_monthly": -5.0}
    )
    with pytest.raises(ScenarioError, match=r"transfers.dibao_monthly: must be >= 0"):
        Scenario(year=2025, transfers=bad)


def test_model_copy_with_changes_validates():
    """model_copy(update=...) made a 'validated' scenario with year 'bad'."""
    with pytest.raises(ScenarioError, match="year: must be an integer"):
        SQ.model_copy(update={"year": "bad"})
    with pytest.raises(ScenarioError, match=r"transfers\.dibao_monthly: must be >= 0"):
        SQ.transfers.model_copy(update={"dibao_monthly": -5})
    t = SQ.model_copy(update={"transfers": {"dibao_monthly": 1500}})
    assert t.transfers.dibao_monthly == 1500
    assert t.transfers.dibao_take_up == SQ.transfers.dibao_take_up
    assert SQ.model_copy() == SQ


def test_model_validate_raises_our_error():
    with pytest.raises(ScenarioError, match=r"transfers\.dibao_monthly: must be >= 0"):
        Scenario.model_validate({"year": 2025, "transfers": {"dibao_monthly": -1}})
    with pytest.raises(ScenarioError, match="not valid JSON"):
        Scenario.model_validate_json('{"year": 2025')
    assert Scenario.model_validate_json(SQ.model_dump_json()) == SQ


# ------------------------------------------------------------------ files
def test_a_utf8_byte_order_mark_is_read_past(tmp_path):
    """A BOM (Notepad) gave "Invalid statement (at line 1, column 1)"."""
    path = write(tmp_path, "\ufeffyear = 2025\n[transfers]\ndibao_monthly = 1300\n")
    assert Scenario.from_toml(path) == SQ.replace({"transfers.dibao_monthly": 1300})


def test_an_empty_path_string_is_named_as_such():
    """ "" is Path("."): the error blamed the current directory."""
    with pytest.raises(ScenarioError, match="no path given"):
        Scenario.from_toml("")


# ------------------------------------------------------------ sweep files
GRID = '[grid]\n"transfers.dibao_monthly" = [1000, 1200]\n'


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (  # `in` a dict of target ids: TypeError
            "year = 2025\n" + GRID + '[plots]\nfrontier = ["T2"]\n',
            "plots.frontier must be a target id",
        ),
        (
            "year = 2025\n" + GRID + "[plots]\nfrontier = { a = 1 }\n",
            "plots.frontier must be a target id",
        ),
        (  # resolve() of a NUL: ValueError
            'year = 2025\n[population]\nfile = "a\\u0000b"\n' + GRID,
            "population.file must be a path string",
        ),
        (  # float(int) of 400 digits: OverflowError
            'year = 2025\n[grid]\n"transfers.dibao_monthly" = [' + "9" * 400 + "]\n",
            "must hold finite numbers",
        ),
        (
            'year = 2025\n[grid]\n"transfers.dibao_monthly" = '
            "{ start = 0, stop = " + "9" * 400 + ", num = 2 }\n",
            "start and stop must be numbers",
        ),
        (  # tomllib: ValueError (int of > 4,300 digits)
            'year = 2025\n[grid]\n"transfers.dibao_monthly" = [' + "9" * 5000 + "]\n",
            "is not valid TOML",
        ),
        (  # tomllib: RecursionError
            "year = 2025\nx = " + "[" * 50_000 + "]" * 50_000 + "\n",
            "nested too deeply",
        ),
        (  # [grid.transfers]: "as a range takes ..." and "is a section" together
            "year = 2025\n[grid]\ntransfers.dibao_monthly = [1000, 1200]\n",
            'a lever is a quoted dotted path, e.g. "transfers.dibao_monthly"',
        ),
        (  # "unknown scenario key; did you mean income_tax.rates"
            'year = 2025\n[grid]\n"income_tax.rates[9]" = [0.1]\n',
            f"income_tax.rates[9]: index 9 out of range for {N_RATES} elements",
        ),
        (
            'year = 2025\n[population]\nfile = "."\n' + GRID,
            "population.file '.': is a directory",
        ),
        (  # is_dir() of a name too long: a raw OSError
            f'year = 2025\n[population]\nfile = "{"a" * 300}.parquet"\n' + GRID,
            "cannot open it (File name too long)",
        ),
        (  # np.linspace(1000, 2000, 1) is [1000]: the stop vanished
            'year = 2025\n[grid]\n"transfers.dibao_monthly" = '
            "{ start = 1000, stop = 2000, num = 1 }\n",
            "num = 1 takes start alone, but stop 2000 differs from start 1000",
        ),
        (  # the year of a file's population is its own: `year` was dropped
            'year = 2025\n[population]\nfile = "."\nyear = 2020\n' + GRID,
            "population.file excludes population.households, .seed, .year and "
            ".urban_definition (they describe the embedded population); "
            "got ['year']",
        ),
    ],
)
def test_sweep_file_problems_are_scenario_errors(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        read_sweep_file(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert fragment in message
    assert message.count("is a section") == 0


def test_sweep_file_with_a_bom_is_read(tmp_path):
    spec = read_sweep_file(write(tmp_path, "\ufeffyear = 2025\n" + GRID))
    assert spec.grid == {"transfers.dibao_monthly": [1000.0, 1200.0]}


def test_sweep_file_nul_path_is_our_error():
    with pytest.raises(ScenarioError, match="cannot read sweep file"):
        read_sweep_file("sweep\0.toml")


def test_range_over_the_whole_float_line_has_no_nan(tmp_path, recwarn):
    """stop - start overflowed: a RuntimeWarning, and points inf and nan."""
    path = write(
        tmp_path,
        'year = 2025\n[grid]\n"wages.growth_rate" = '
        "{ start = -1.5e308, stop = 1.5e308, num = 3 }\n",
    )
    with pytest.raises(ScenarioError) as info:
        read_sweep_file(path)
    text = str(info.value)
    # The points are -1.5e308, 0 and 1.5e308: the two ends are out of range,
    # the middle (0) is a valid growth rate.
    assert "value -1.5e+308" in text and "value 1.5e+308" in text
    assert "nan" not in text and "inf" not in text
    assert "value 0:" not in text
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_failing_field_does_not_hide_the_schedule_problems():
    """A rate of 2 stopped validation before the schedule checks: thresholds
    starting at 10 (the first bracket must start at 0) went unreported."""
    with pytest.raises(ScenarioError) as info:
        SQ.replace(
            {
                "income_tax.business_rates": [2.0, 0.1],
                "income_tax.business_thresholds": [10.0, 5.0, 30.0],
            }
        )
    text = str(info.value)
    assert "business_rates[0]: must be <= 1" in text
    assert "business_thresholds[0] must be 0" in text
    assert "business_thresholds[1] = 5.0 <= business_thresholds[0] = 10.0" in text
    assert "one rate per bracket: 3 thresholds, 2 rates" in text
    # Each problem once, also when no field fails.
    with pytest.raises(ScenarioError) as info:
        SQ.replace({"income_tax.business_thresholds": [10.0, 20.0, 30.0, 40.0, 50.0]})
    assert str(info.value).count("business_thresholds[0] must be 0") == 1


# ------------------------------------------------------- session 21 red team
def test_a_schedule_too_long_is_named_before_its_items():
    s = Scenario.status_quo(2024)
    with pytest.raises(ScenarioError) as info:
        s.replace({"income_tax.rates": [2.0] * 100_000})
    message = str(info.value)
    assert "income_tax.rates: must have at most 20 items; got 100,000" in message
    assert "rates[0]" not in message and len(message) < 1_000


def test_many_problems_are_capped_and_counted():
    s = Scenario.status_quo(2024)
    data = s.to_dict()
    for k in range(500):
        data["transfers"][f"extra_{k}"] = 1
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data)
    message = str(info.value)
    assert message.count("unknown scenario key") == 10
    assert message.endswith("and 490 more such problems")
    with pytest.raises(ScenarioError) as info:
        s.replace({"income_tax.rates": [2.0] * 15})
    message = str(info.value)
    # Ten of the sixteen (fifteen rates, and 7 thresholds for 15 rates), the
    # fractions hint once.
    assert message.count("must be <= 1") == 10
    assert message.count("0.2 = 20 %") == 1
    assert message.endswith("and 6 more such problems")


def test_replace_reports_bad_paths_and_bad_values_together():
    s = Scenario.status_quo(2024)
    with pytest.raises(ScenarioError) as info:
        s.replace({"transfers.dibao_monthly": -1, "foo.bar": 1})
    message = str(info.value)
    assert "foo.bar: unknown scenario key" in message
    assert "transfers.dibao_monthly: must be >= 0; got -1" in message


def test_an_integer_too_large_for_a_float_is_named_by_its_size():
    with pytest.raises(ScenarioError) as info:
        Scenario.status_quo(2024).replace({"transfers.dibao_monthly": 10**400})
    message = str(info.value)
    assert "transfers.dibao_monthly: must be a number below 1.8e308" in message
    assert "an integer of 401 digits" in message and "0000000000" not in message


def test_to_toml_errors_name_the_path(tmp_path):
    s = Scenario.status_quo(2024)
    with pytest.raises(ScenarioError, match="to_toml: no path given"):
        s.to_toml("")
    missing = tmp_path / "no such folder" / "s.toml"
    with pytest.raises(ScenarioError, match="cannot write the scenario file") as info:
        s.to_toml(missing)
    assert str(missing) in str(info.value)
    with pytest.raises(ScenarioError, match="cannot write"):
        s.to_toml(tmp_path)  # a directory


def test_a_section_or_a_key_in_capitals_is_explained():
    s = Scenario.status_quo(2024)
    with pytest.raises(ScenarioError, match="transfers: is a section, not a value"):
        s.replace({"transfers": {"dibao_monthly": 1_300}})
    with pytest.raises(ScenarioError, match=r"did you mean transfers\.dibao_monthly"):
        s.replace({"transfers.DIBAO_MONTHLY": 1_300})


def test_a_schedule_length_mismatch_says_both_lists_go_together():
    s = Scenario.status_quo(2024)
    with pytest.raises(ScenarioError) as info:
        s.replace({"income_tax.thresholds": [0, 1, 2, 3, 4, 5, 6, 7]})
    assert "8 thresholds, 7 rates" in str(info.value)
    assert "change both lists together" in str(info.value)


# ---------------------------------------------------- session-34 probe
@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs here")
def test_a_named_pipe_is_refused_not_waited_on(tmp_path):
    """Reading a FIFO blocked until a writer came: forever, for the CLI too.

    A writer thread stands by with a valid scenario, so that a reader that opens
    the pipe gets a scenario (and the test fails) instead of hanging.
    """
    import os
    import threading

    pipe = tmp_path / "s.toml"
    os.mkfifo(pipe)

    def writer():
        with open(pipe, "w") as f:  # blocks until a reader opens the pipe
            f.write("year = 2024\n")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        with pytest.raises(ScenarioError, match=r"s\.toml: is not a file \(a TOML"):
            Scenario.from_toml(pipe)
        with pytest.raises(ScenarioError, match="is not a file"):
            read_sweep_file(pipe)
    finally:
        # Release the writer: open the pipe for reading without waiting.
        fd = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
        thread.join(timeout=10)
        os.close(fd)


@pytest.mark.skipif(not __import__("os").path.exists("/dev/zero"), reason="no /dev")
def test_a_device_is_refused_not_read_to_exhaustion():
    """/dev/zero was read until the memory ran out (MemoryError)."""
    with pytest.raises(ScenarioError, match="/dev/zero: is not a file"):
        Scenario.from_toml("/dev/zero")


def test_a_negative_index_counts_in_the_list_that_replace_sets_first():
    """[-1] was taken against the old 7-rate list (item [6]), so with a new
    2-rate list ``rates[-1]`` and ``rates[1]`` set one item and the first value
    was dropped without a word."""
    new = {"income_tax.thresholds": [0.0, 1000.0], "income_tax.rates": [0.1, 0.2]}
    with pytest.raises(ScenarioError, match=r"both set item \[1\]; give it once"):
        SQ.replace({**new, "income_tax.rates[-1]": 0.3, "income_tax.rates[1]": 0.4})
    both = SQ.replace({**new, "income_tax.rates[0]": 0.05, "income_tax.rates[-1]": 0.3})
    assert both.income_tax.rates == (0.05, 0.3)
    # Against the unchanged list [-1] is still the last of seven.
    with pytest.raises(ScenarioError, match=rf"both set item \[{N_RATES - 1}\]"):
        SQ.replace(
            {"income_tax.rates[-1]": 0.3, f"income_tax.rates[{N_RATES - 1}]": 0.4}
        )
