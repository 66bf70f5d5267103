"""Exception types of commonprosperity.

Every error raised on bad user input derives from :class:`CommonProsperityError`;
the input-related ones also derive from :class:`ValueError`, so callers may catch
either.  This module imports nothing of ours (layer 0).
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "CalibrationError",
    "CommonProsperityError",
    "ImplausibleDataWarning",
    "MeasureError",
    "PopulationError",
    "ScenarioError",
    "TargetUnreachableError",
]


class CommonProsperityError(Exception):
    """Base class of every error the library raises on purpose."""


class ArgumentError(CommonProsperityError, ValueError):
    """A function argument (an option, a size, a seed, a name) is not allowed."""


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of the wrong type (a string for a Population).

    Both an :class:`ArgumentError` and a :class:`TypeError`: catch either.
    """


class PopulationError(CommonProsperityError, ValueError):
    """A population (frames or files) is missing data or holds invalid values."""


class ScenarioError(CommonProsperityError, ValueError):
    """A scenario (object, TOML file or override) is invalid."""


class CalibrationError(CommonProsperityError, ValueError):
    """Weights cannot be calibrated to the requested margins."""


class TargetUnreachableError(CommonProsperityError, ValueError):
    """No lever value inside the bounds meets the target."""


class MeasureError(CommonProsperityError, ValueError):
    """An inequality or poverty measure got inputs it is not defined for."""


class ImplausibleDataWarning(UserWarning):
    """A population whose numbers look like a unit or coding slip.

    Monthly, 万元 or fen incomes, inclusion probabilities as weights, person
    weights, an urban or employed flag coded backwards, age codes, business
    costs read as income (README, "Your own survey data"). A study of an unusual
    group can be right to hold such numbers: silence these with
    ``warnings.simplefilter("ignore", ImplausibleDataWarning)``.
    """
