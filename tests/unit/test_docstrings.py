"""Every public function says what it takes and what it returns (numpydoc).

The house style asks for numpydoc docstrings with units on public functions; a
function whose docstring is one line tells an economist neither the unit of the
number nor the errors to expect.
"""

import inspect
import itertools

import pytest

import commonprosperity as cp
from commonprosperity import statistics


def _public_modules():
    modules = {"commonprosperity": cp, "commonprosperity.statistics": statistics}
    for name in cp.__all__:
        obj = getattr(cp, name)
        if inspect.ismodule(obj):
            modules[obj.__name__] = obj
    return modules


def _public_functions():
    for module_name, module in _public_modules().items():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield pytest.param(obj, id=f"{module_name}.{name}")


@pytest.mark.parametrize("function", list(_public_functions()))
def test_a_public_function_has_numpydoc_sections(function):
    doc = inspect.getdoc(function) or ""
    lines = doc.splitlines()

    def has(section):
        return any(
            line.strip() == section and nxt.strip() == "-" * len(section)
            for line, nxt in itertools.pairwise(lines)
        )

    if inspect.signature(function).parameters:
        assert has("Parameters"), "no Parameters section"
    # Annotations may be strings (``from __future__ import annotations``).
    returns_none = inspect.signature(function).return_annotation in (None, "None")
    if not returns_none:
        assert has("Returns") or has("Yields"), "no Returns section"
