"""Defects found by the session-48 probes, each checked against its fix."""

import json

import pytest

from commonprosperity import Scenario, ScenarioError


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i))


def test_the_scenario_schema_names_bounds_as_json_schema_does():
    """Pydantic wrote the amounts' bounds as ``ge``/``le``, which JSON Schema
    tools ignore: a schema-checked TOML file could hold a negative dibao."""
    schema = Scenario.model_json_schema()
    keys = {key for _, key, _ in _walk(schema)}
    assert not keys & {"ge", "le", "gt", "lt"}
    props = schema["$defs"]["Wages"]["properties"]
    assert props["growth_rate"]["minimum"] == -0.5
    assert props["growth_rate"]["maximum"] == 1.0
    dibao = schema["$defs"]["Transfers"]["properties"]["dibao_monthly"]
    assert dibao["minimum"] == 0.0
    # The bounds the schema states are the ones the model enforces.
    Scenario(year=2024, wages={"growth_rate": -0.5})
    with pytest.raises(ScenarioError, match="growth_rate"):
        Scenario(year=2024, wages={"growth_rate": -0.5000001})
    with pytest.raises(ScenarioError, match="dibao_monthly"):
        Scenario(year=2024, transfers={"dibao_monthly": -1.0})
    json.dumps(schema)  # still plain JSON
