"""Reference models of the rules (NumPy and pandas), independent of the kernels.

Both follow the contract where an indicator is undefined (``Result.undefined``):
an empty area's per-capita income is NaN, a ratio of incomes needs both positive
and finite (:func:`defined_ratio`), the cities' ratio needs two cities, and the
Gini needs a positive mean.
"""

from __future__ import annotations

import math


def defined_ratio(num: float, den: float) -> float:
    """``num / den`` when both are positive and the ratio is finite, else NaN.

    A ratio of incomes that are not both positive measures no income gap, and NaN
    (an empty area) leaves it undefined.
    """
    if not (num > 0 and den > 0):
        return math.nan
    ratio = float(num) / float(den)
    return ratio if math.isfinite(ratio) else math.nan
