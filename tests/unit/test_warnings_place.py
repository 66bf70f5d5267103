"""Warnings name the user's line (probe, session 34).

They were attributed to the library's own argument-checking wrapper
(``metrics/_validate.py``); Python's default filter shows a warning once per
message and place, so a second call from another line of the user's code was not
warned at all.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from commonprosperity import metrics


def test_each_call_is_warned_at_the_line_that_made_it():
    x = np.array([-1.0, 2.0, 3.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # Python's: once per message and place
        metrics.gini(x)
        metrics.gini(x)
        metrics.decompose(x, None, [0, 1, 1], nonpositive="exclude")
    assert [w.filename for w in caught] == [__file__] * 3
    lines = [w.lineno for w in caught]
    assert len(set(lines)) == 3
    assert "negative value" in str(caught[0].message)
    assert "left out 1 row(s)" in str(caught[2].message)


def test_sources_given_as_rows_are_warned_about():
    """np.array([wage, business]) is (sources, households): it was read as six
    sources of two households, without a word."""
    wage = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    business = np.array([5.0, 0.0, 2.0, 0.0, 1.0, 9.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metrics.gini_by_source(np.array([wage, business]))
        by_columns = metrics.gini_by_source(np.column_stack([wage, business]))
    assert len(caught) == 1 and caught[0].filename == __file__
    assert "components.T" in str(caught[0].message)
    assert by_columns.attrs["gini"] == pytest.approx(
        metrics.gini(wage + business), rel=1e-14
    )
