"""Warnings name the user's line (probe, session 34).

They were attributed to the library's own argument-checking wrapper
(``metrics/_validate.py``); Python's default filter shows a warning once per
message and place, so a second call from another line of the user's code was not
warned at all.
"""

from __future__ import annotations

import warnings

import numpy as np

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
