"""Public inequality, poverty and progressivity measures (layer 3).

NumPy arrays in, floats (or small frames) out. Every function takes frequency
weights (``weight=None`` means equal weights; a weight of 2 counts a row twice;
zero weights drop a row as long as the sum is positive), validates its inputs at
the boundary and raises :class:`~commonprosperity.errors.MeasureError` naming the
argument, what is allowed and what was found. The heavy lifting happens in the
Numba kernels of :mod:`commonprosperity._kernels.inequality`.

Examples
--------
>>> import numpy as np
>>> from commonprosperity import metrics
>>> income = np.array([20_000.0, 35_000.0, 50_000.0, 120_000.0])
>>> round(metrics.gini(income), 4), round(metrics.theil(income), 4)
(0.35, 0.2122)
"""

from commonprosperity.metrics._entropy import (
    Decomposition,
    atkinson,
    decompose,
    mld,
    theil,
)
from commonprosperity.metrics._gini import GiniBracket, gini
from commonprosperity.metrics._grouped import (
    BetaLorenz,
    GQLorenz,
    fit_beta_lorenz,
    fit_gq_lorenz,
)
from commonprosperity.metrics._moments import (
    coefficient_of_variation,
    group_mean,
    weighted_mean,
)
from commonprosperity.metrics._poverty import fgt
from commonprosperity.metrics._progressivity import (
    concentration,
    gini_by_source,
    kakwani,
    reynolds_smolensky,
)
from commonprosperity.metrics._shares import (
    band_share,
    lorenz,
    palma,
    quantile_shares,
    s80_s20,
    top_share,
)

__all__ = [
    "BetaLorenz",
    "Decomposition",
    "GQLorenz",
    "GiniBracket",
    "atkinson",
    "band_share",
    "coefficient_of_variation",
    "concentration",
    "decompose",
    "fgt",
    "fit_beta_lorenz",
    "fit_gq_lorenz",
    "gini",
    "gini_by_source",
    "group_mean",
    "kakwani",
    "lorenz",
    "mld",
    "palma",
    "quantile_shares",
    "reynolds_smolensky",
    "s80_s20",
    "theil",
    "top_share",
    "weighted_mean",
]
