"""Every invalid scenario file fails with a ScenarioError naming file and problem.

One fixture file per failure mode lives in ``invalid/``; ``invalid/expected.toml``
lists the words each message must contain (the OpenFisca pattern). To add a failure
mode, add ``invalid/<name>.toml`` and a ``[<name>]`` table with its ``words``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from commonprosperity import CommonProsperityError, Scenario, ScenarioError

INVALID = Path(__file__).parent / "invalid"
EXPECTED = tomllib.loads((INVALID / "expected.toml").read_text(encoding="utf-8"))
FIXTURES = sorted(p for p in INVALID.glob("*.toml") if p.name != "expected.toml")

#: Fixtures that do not fail as they must yet (none left; keep for new ones).
XFAIL: dict[str, str] = {}


def _params():
    for path in FIXTURES:
        marks = []
        if path.stem in XFAIL:
            marks.append(pytest.mark.xfail(reason=XFAIL[path.stem], strict=True))
        yield pytest.param(path, id=path.stem, marks=marks)


def test_every_fixture_has_its_expected_words_and_vice_versa():
    stems = {p.stem for p in FIXTURES}
    assert stems == set(EXPECTED), (
        f"fixtures without words in expected.toml: {sorted(stems - set(EXPECTED))}; "
        f"words without a fixture: {sorted(set(EXPECTED) - stems)}"
    )
    assert set(XFAIL) <= stems
    for stem, table in EXPECTED.items():
        assert set(table) == {"words"}, stem
        assert table["words"] and all(isinstance(w, str) and w for w in table["words"])


@pytest.mark.parametrize("path", list(_params()))
def test_invalid_scenario_file(path: Path):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_toml(path)
    error = info.value
    message = str(error)
    assert isinstance(error, ValueError) and isinstance(error, CommonProsperityError)
    assert path.name in message, f"the message must name the file: {message!r}"
    missing = [w for w in EXPECTED[path.stem]["words"] if w not in message]
    assert not missing, (
        f"{path.name}: message lacks {missing}.\nmessage: {message}\n"
        f"If the new wording is better, update [{path.stem}] in "
        f"{INVALID / 'expected.toml'}."
    )
    # No pydantic internals leak into what the user reads.
    assert "errors.pydantic.dev" not in message
    assert "validation error" not in message.lower()
    assert "\n" not in message.strip()


def test_missing_file_and_directory_name_the_path(tmp_path):
    with pytest.raises(ScenarioError, match=r"missing\.toml: cannot read"):
        Scenario.from_toml(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match="cannot read"):
        Scenario.from_toml(tmp_path)


def test_path_with_nul_byte_is_our_error():
    with pytest.raises(ScenarioError, match="cannot read"):
        Scenario.from_toml("scenario\0.toml")


def test_fixture_contents_fail_the_same_way_through_from_dict():
    """from_dict (used by replace and by callers with a dict) names the same keys."""
    for path in FIXTURES:
        if path.stem in XFAIL:
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            continue  # not TOML: from_toml's own failure modes
        with pytest.raises(ScenarioError) as info:
            Scenario.from_dict(data, source=path.name)
        message = str(info.value)
        assert message.startswith(path.name)
        keys = [w for w in EXPECTED[path.stem]["words"] if "." in w and " " not in w]
        for key in keys:
            assert key in message, (path.name, key, message)
