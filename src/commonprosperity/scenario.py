"""The policy scenario: one typed, validated, immutable object, read from TOML.

A scenario describes the tax, contribution, wage and transfer rules of one policy
year. Fields not given take the status-quo value of that year (shipped, cited data
in :mod:`commonprosperity.published`). Monthly amounts say ``monthly`` in their
name (``dibao_monthly``, ``minimum_wage_monthly_tier1``); other amounts are yuan
per year; rates and shares are fractions (0.08, not 8).
"""

from __future__ import annotations

import bisect
import dataclasses
import decimal
import difflib
import fractions
import functools
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import numpy as np
import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema

from commonprosperity._files import (
    control_character,
    expand_home,
    path_slips,
    path_state,
    replace_atomically,
)
from commonprosperity._kernels import layout as L
from commonprosperity._kernels.rules import quick_deductions
from commonprosperity._validate import (
    SHOWN_PROBLEMS,
    beyond_float,
    finite_float,
    is_integer,
    joined_problems,
    quoted,
)
from commonprosperity.errors import ScenarioError
from commonprosperity.published import POLICY_YEARS, PublishedValue, policy_values

if TYPE_CHECKING:
    from pydantic.functional_validators import ModelWrapValidatorHandler
    from pydantic_core import InitErrorDetails

__all__ = ["PolicyArrays", "Scenario"]

#: The policy years a scenario may have (first, last); the status quo is shipped
#: for ``POLICY_YEARS`` only.
YEAR_RANGE = (2000, 2100)


#: Python types :func:`_scalar` hands on as they are (exact types, not subclasses).
_PLAIN = frozenset({float, int, str, bool})


def _scalar(value: Any) -> Any:
    """A 0-d array as its item; a masked value, a NumPy time or float16 refused.

    A masked element (``np.ma.masked``, an item of ``np.ma.masked_invalid``) is
    a 0-d array whose item is its hidden data, 0.0 for a masked NaN: a missing
    top rate became a 0 % one. NumPy's timedelta64 is an integer type, so a
    duration passed as an age or a year. A float16 may have been rounded.
    """
    if type(value) in _PLAIN:
        # Nothing below applies to these (most values): a sweep of 10,000 dibao
        # lines checks each in a scenario of about 45 values.
        return value
    if isinstance(value, np.ma.MaskedArray) and np.ma.is_masked(value):
        raise ValueError("is masked (a missing value); give a number")
    was_array = isinstance(value, np.ndarray)
    if was_array and value.ndim == 0:
        value = value[()]  # a NumPy scalar, checked below, then its item
    if isinstance(value, np.timedelta64 | np.datetime64):
        # After unwrapping: a 0-d array of a duration was read as an age.
        raise ValueError(f"must be a number, not a NumPy time; got {quoted(value)}")
    if isinstance(value, np.float16):
        # About 3 significant figures: a dibao of 1128.3 arrived as 1128.0 and a
        # minimum wage of 2491 as 2492, without a word (the population's amount
        # columns refuse float16 too).
        raise ValueError(
            f"is a NumPy float16 ({value}), which keeps about 3 significant "
            "figures, so it may have been rounded when stored; give a Python "
            "float (or a float64) from the original data"
        )
    if isinstance(value, np.generic) and was_array:
        return value.item()
    return value


def _whole_number(value: Any) -> Any:
    """Accept ints (Python or NumPy) and whole floats; never bools or strings.

    Whole Decimals and Fractions too: the amounts and rates take them.
    """
    value = _scalar(value)
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)  # checked for its size below, as an int is (1e300)
    elif _whole_exact(value):
        value = int(value)
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ValueError(f"must be an integer; got {quoted(value)}")
    if abs(int(value)) >= 10**18:
        # Beyond any age or count; pydantic would echo every digit.
        raise ValueError(
            f"must be an integer of at most 18 digits; got {quoted(int(value))}"
        )
    return int(value)


def _whole_exact(value: Any) -> bool:
    """Whether ``value`` is a whole Fraction or finite Decimal."""
    if isinstance(value, fractions.Fraction):
        return value.denominator == 1
    return (
        isinstance(value, decimal.Decimal)
        and value.is_finite()
        and value == value.to_integral_value()
    )


def _year(value: Any) -> Any:
    """Accept ints (Python or NumPy) only: ``year = 2021.0`` or ``"2021"`` is a typo."""
    value = _scalar(value)
    if not is_integer(value):
        raise ValueError(f"must be an integer such as 2025; got {quoted(value)}")
    if abs(int(value)) >= 10**18:
        # The range check would echo every digit of 10**400.
        raise ValueError(f"must be an integer in 2000–2100; got {quoted(int(value))}")
    return int(value)


def _no_numpy_bool(value: Any) -> Any:
    """Hand a NumPy bool on as a Python bool, which strict mode then refuses.

    An integer too large for a float (``10**400``) is refused with its size:
    pydantic called it "not a valid number" and printed every digit.

    Pydantic's strict float refuses ``True`` but reads ``numpy.True_`` as 1.0 (it
    accepts anything with ``__float__``), so an element of a boolean array would
    pass silently as an amount or as a 100 % rate.
    """
    if type(value) is float:
        # A Python float is none of the cases below (and the most common value).
        return value
    # A 0-d array is its one item (np.array(1200.0) is 1200.0), a boolean one a
    # bool, refused as above.
    value = _scalar(value)
    if isinstance(value, complex | np.complexfloating):
        # Pydantic reads anything with __float__ as a float, and NumPy's complex
        # numbers have one that drops the imaginary part with only a warning.
        raise ValueError(f"must be a real number; got {quoted(value)}")
    # A finite Decimal beyond the floats (Decimal("1e400")) became inf and was
    # refused as "not a finite number", which it is. Not a NaN one, which
    # float() cannot take (sNaN): pydantic's own check names it.
    if beyond_float(value):
        bound = "above -1.8e308" if value < 0 else "below 1.8e308"
        raise ValueError(f"must be a number {bound}; got {quoted(value)}")
    return bool(value) if isinstance(value, np.bool_) else value


# strict=True: an amount must be a number (int or float), never a bool or a string
# that pydantic's lax mode would coerce (``true`` -> 1.0, ``"60000"`` -> 60000.0);
# _no_numpy_bool closes the same gap for NumPy bools.
# + 0.0: -0.0 is 0.0 (a file showed "basic_deduction = -0.0", a negative amount
# in a field that must be >= 0).
Number = Annotated[
    float, BeforeValidator(_no_numpy_bool), AfterValidator(lambda v: v + 0.0)
]
Rate = Annotated[Number, Field(ge=0.0, le=1.0, strict=True)]
Share = Annotated[Number, Field(ge=0.0, le=1.0, strict=True)]
Monthly = Annotated[Number, Field(ge=0.0, le=1e6, strict=True)]
Annual = Annotated[Number, Field(ge=0.0, le=1e9, strict=True)]
Threshold = Annotated[Number, Field(ge=0.0, le=1e10, strict=True)]
Integer = Annotated[int, BeforeValidator(_whole_number)]


#: Most brackets a schedule may have.
MAX_BRACKETS = 20


def _ordered(value: Any) -> Any:
    """Refuse a set for a schedule, and a list longer than MAX_BRACKETS.

    A set's order, the bracket order, is not defined. The length is checked
    before the items: a list of 100,000 bad rates made 100,000 messages and never
    said "at most 20".
    """
    if isinstance(value, set | frozenset):
        raise ValueError(
            "must be a list in bracket order, not a set (a set has no order); "
            f"got {quoted(value)}"
        )
    if isinstance(value, np.ndarray) and value.ndim == 0:
        raise ValueError(f"must be a list in bracket order; got {quoted(value)}")
    is_list = isinstance(value, Sequence | np.ndarray) and not isinstance(value, str)
    if is_list and len(value) > MAX_BRACKETS:
        raise ValueError(f"must have at most {MAX_BRACKETS} items; got {len(value):,}")
    return value


ThresholdList = Annotated[tuple[Threshold, ...], BeforeValidator(_ordered)]
RateList = Annotated[tuple[Rate, ...], BeforeValidator(_ordered)]
Year = Annotated[int, BeforeValidator(_year)]

#: Keys that older files may use, and their current names.
RENAMED: Mapping[str, str] = MappingProxyType(
    {
        "income_tax.standard_deduction": "income_tax.basic_deduction",
        "income_tax.basic_deduction_monthly": "income_tax.basic_deduction",
        "income_tax.brackets": "income_tax.thresholds",
        "transfers.dibao": "transfers.dibao_monthly",
        "transfers.dibao_standard_monthly": "transfers.dibao_monthly",
        "transfers.dibao_takeup": "transfers.dibao_take_up",
        "transfers.residents_pension": "transfers.residents_pension_monthly",
        "transfers.child_benefit_monthly": "transfers.child_allowance_monthly",
        "wages.minimum_wage_monthly": "wages.minimum_wage_monthly_tier1",
        "wages.wage_growth": "wages.growth_rate",
        "social_insurance.housing_provident_fund_rate": (
            "social_insurance.housing_fund_rate"
        ),
    }
)

#: What an old key's value must become under its new name, where the unit or the
#: meaning changed: kept as it was, the value would pass with another meaning.
RENAMED_NOTES: Mapping[str, str] = MappingProxyType(
    {
        "income_tax.basic_deduction_monthly": (
            "in yuan per year: 12 × the monthly amount (status quo 60,000)"
        ),
        "transfers.dibao": "in yuan per person per month: the annual amount ÷ 12",
        "transfers.residents_pension": (
            "in yuan per person per month: the annual amount ÷ 12"
        ),
        "wages.minimum_wage_monthly": (
            "the first of Zhejiang's three area tiers; set "
            "wages.minimum_wage_monthly_tier2 and _tier3 too"
        ),
    }
)


def _section_name(cls: type) -> str | None:
    """The scenario key of a section model (``Transfers`` -> "transfers")."""
    return next((k for k, v in SECTIONS.items() if v is cls), None)


def _immutable(model: Any, name: str) -> str:
    section = _section_name(type(model))
    path = f"{section}.{name}" if section else name
    if name in SECTIONS and not section:
        # replace() takes values, not sections: the advice to replace
        # {'transfers': value} was refused in turn.
        first = next(iter(SECTIONS[name].model_fields))
        return (
            f"a scenario cannot be changed in place ({path}); use "
            f"scenario.replace({{'{name}.{first}': value, ...}}) with the "
            "section's keys, which returns a new, checked one"
        )
    return (
        f"a scenario cannot be changed in place ({path}); use "
        f"scenario.replace({{{path!r}: value}}), which returns a new, checked one"
    )


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's dict, refusing a key given twice (json kept the last)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {quoted(key)} is given twice")
        out[key] = value
    return out


#: Pydantic's names of bounds and JSON Schema's: the bounds of the amounts sit
#: behind their validators, and pydantic wrote them under its own names, which
#: JSON Schema tools (editors, validators of TOML files) ignore.
_JSON_SCHEMA_BOUNDS = MappingProxyType(
    {
        "ge": "minimum",
        "le": "maximum",
        "gt": "exclusiveMinimum",
        "lt": "exclusiveMaximum",
    }
)


def _standard_bounds(node: Any) -> Any:
    """``node`` with pydantic's bound keys renamed to JSON Schema's, throughout."""
    if isinstance(node, dict):
        return {
            # A key under "properties" is a field's name, never a bound.
            key
            if key not in _JSON_SCHEMA_BOUNDS or "type" not in node
            else _JSON_SCHEMA_BOUNDS[key]: (
                {k: _standard_bounds(v) for k, v in value.items()}
                if key in ("properties", "$defs")
                else _standard_bounds(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_standard_bounds(v) for v in node]
    return node


#: How the official urbanisation rate is asked for: in Python, on the command
#: line and in a sweep file (T6's note, an urbanisation key's message).
CENSUS_HOW = (
    "baseline(..., urban_definition='census') (command line: "
    '--urban-definition census; a sweep file: urban_definition = "census" in '
    "its [population])"
)


class _JsonSchema(GenerateJsonSchema):
    """Pydantic's JSON Schema with the bounds under JSON Schema's names."""

    def generate(self, schema: Any, mode: Any = "validation") -> Any:
        return _standard_bounds(super().generate(schema, mode=mode))


if TYPE_CHECKING:
    # What type(BaseModel) is, named for a type checker (a private module).
    from pydantic._internal._model_construction import ModelMetaclass as _ModelMeta
else:
    _ModelMeta = type(BaseModel)

_T = TypeVar("_T")


class _SectionMeta(_ModelMeta):
    """Pydantic's metaclass; a section called directly raises ScenarioError.

    ``Transfers(dibao_take_up=7)`` raised pydantic's ValidationError, no
    library error, while the same section validated any other way raised
    ScenarioError. Not through ``__init__``: pydantic calls a model's own
    ``__init__`` when it validates the model nested in another, and an error
    raised there came back as one opaque value error of the whole section;
    nested validation never calls the class itself.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (a metaclass)
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            # cls is a section class (this is its metaclass's method).
            raise cast("type[_Section]", cls)._scenario_error(exc, kwargs) from None


class _Section(BaseModel, metaclass=_SectionMeta):
    # revalidate_instances: a section built by model_copy(update=...) or
    # model_construct is checked again when it goes into a Scenario (pydantic's
    # default, "never", let Scenario(transfers=<dibao_monthly=-5>) through).
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        revalidate_instances="always",
    )

    # No __init__ here: pydantic calls a model's own __init__ when it validates
    # that model nested in another, and an error raised there would come back as
    # one opaque value error of the whole section.

    def __setattr__(self, name: str, value: Any) -> None:
        # pydantic's own refusal is a ValidationError ("Instance is frozen")
        # pointing at errors.pydantic.dev; this says what to do instead.
        raise ScenarioError(_immutable(self, name))

    def __delattr__(self, name: str) -> None:
        raise ScenarioError(_immutable(self, name))

    @classmethod
    def model_json_schema(
        cls,
        by_alias: bool | None = None,
        ref_template: str = "#/$defs/{model}",
        schema_generator: type[GenerateJsonSchema] = _JsonSchema,
        mode: Any = "validation",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The JSON Schema of the model (pydantic's), bounds as ``minimum`` etc.

        Parameters
        ----------
        by_alias, ref_template, schema_generator, mode, **kwargs
            Those of :meth:`pydantic.BaseModel.model_json_schema`.

        Returns
        -------
        dict
            The schema; an amount's bounds are ``minimum`` and ``maximum``, as
            JSON Schema names them, not pydantic's ``ge`` and ``le``.
        """
        return super().model_json_schema(
            by_alias=by_alias,
            ref_template=ref_template,
            schema_generator=schema_generator,
            mode=mode,
            **kwargs,
        )

    @classmethod
    def _error_text(cls, exc: ValidationError, data: Any) -> str:
        section = _section_name(cls) or cls.__name__
        return _format_errors(exc, "scenario", data, section=section)

    @classmethod
    def _scenario_error(cls, exc: ValidationError, obj: Any) -> ScenarioError:
        """The ScenarioError of a failed validation.

        Scenario.__init__'s own as it raised it, not wrapped in another
        "scenario:" prefix.
        """
        errors = exc.errors()
        inner = errors[0].get("ctx", {}).get("error") if len(errors) == 1 else None
        if isinstance(inner, ScenarioError):  # from Scenario.__init__
            return inner
        return ScenarioError(cls._error_text(exc, obj))

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        """Validate ``obj``; a ScenarioError (not pydantic's error) if invalid."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise cls._scenario_error(exc, obj) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, **kwargs: Any) -> Any:
        """Validate a JSON text; a ScenarioError (not pydantic's error) if invalid."""
        try:
            obj = json.loads(json_data, object_pairs_hook=_no_repeated_keys)
        except (ValueError, TypeError) as exc:
            raise ScenarioError(f"scenario: is not valid JSON: {exc}") from None
        return cls.model_validate(obj, **kwargs)

    @classmethod
    def model_validate_strings(cls, obj: Any, **kwargs: Any) -> Any:
        """Pydantic's validation of string values; a ScenarioError if invalid.

        The fields are strict: an amount given as text ("1128.0") is refused as
        everywhere else (read a TOML file, or give numbers).
        """
        try:
            return super().model_validate_strings(obj, **kwargs)
        except ValidationError as exc:
            raise cls._scenario_error(exc, obj) from None

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Any:
        """A copy; with ``update``, re-validated (pydantic's copy would not check).

        Use :meth:`Scenario.replace` for dotted paths.
        """
        if not update:
            return super().model_copy(deep=deep)
        data = {name: getattr(self, name) for name in type(self).model_fields}
        for key, value in dict(update).items():
            current = data.get(key)
            if isinstance(current, _Section) and isinstance(value, Mapping):
                # A section given in part keeps this scenario's other values of
                # it (they were refilled from the year's status quo, silently).
                value = {**current.model_dump(), **value}
            data[key] = value
        return type(self).model_validate(data)

    def copy(
        self,
        *,
        include: Any = None,
        exclude: Any = None,
        update: Mapping[str, Any] | None = None,
        deep: bool = False,
    ) -> Any:
        """Pydantic's deprecated ``copy``, checked as :meth:`model_copy`.

        Pydantic's own skipped every check (a dibao take-up of 7 ran). ``include``
        and ``exclude`` would drop keys of a policy, so they are refused.
        """
        if include is not None or exclude is not None:
            raise ScenarioError(
                "copy(include=..., exclude=...) would drop keys of a scenario; "
                "use model_copy(update=...) or Scenario.replace"
            )
        return self.model_copy(update=update, deep=deep)


class Wages(_Section):
    """Wage rules: extra growth in the scenario year and the minimum wage."""

    growth_rate: Number = Field(
        0.0,
        ge=-0.5,
        le=1.0,
        strict=True,
        description="extra wage growth in the scenario year, fraction (0.05 = +5 %)",
    )
    minimum_wage_monthly_tier1: Monthly = Field(
        description="monthly minimum wage of tier-1 areas, yuan per month"
    )
    minimum_wage_monthly_tier2: Monthly = Field(
        description="monthly minimum wage of tier-2 areas, yuan per month"
    )
    minimum_wage_monthly_tier3: Monthly = Field(
        description="monthly minimum wage of tier-3 areas, yuan per month"
    )


class SocialInsurance(_Section):
    """Employee contributions: rates on the wage clipped to the contribution base."""

    pension_rate: Rate = Field(description="employee pension insurance rate, fraction")
    medical_rate: Rate = Field(description="employee medical insurance rate, fraction")
    unemployment_rate: Rate = Field(description="employee unemployment insurance rate")
    housing_fund_rate: Rate = Field(description="employee housing provident fund rate")
    base_floor_monthly: Monthly = Field(
        description="contribution base floor, yuan/month"
    )
    base_ceiling_monthly: Monthly = Field(
        description="contribution base ceiling, yuan per month"
    )

    @property
    def contribution_rate(self) -> float:
        """The four rates together: all apply to one clipped wage base."""
        return (
            self.pension_rate
            + self.medical_rate
            + self.unemployment_rate
            + self.housing_fund_rate
        )

    @model_validator(mode="after")
    def _floor_below_ceiling(self) -> SocialInsurance:
        # Both rules are checked: a file breaking both hears of both at once.
        problems = _contribution_problems(
            self.base_floor_monthly,
            self.base_ceiling_monthly,
            self.contribution_rate,
        )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _with_contribution_problems(
        cls, data: Any, handler: ModelWrapValidatorHandler[SocialInsurance]
    ) -> SocialInsurance:
        # A failing field (a negative rate) stops pydantic before the check
        # above: a floor above the ceiling went unsaid. Added from the raw values.
        return _validate_adding(data, handler, _raw_contribution_problems)


_CONTRIBUTION_RATES = (
    "pension_rate",
    "medical_rate",
    "unemployment_rate",
    "housing_fund_rate",
)


def _contribution_problems(floor: float, ceiling: float, total: float) -> list[str]:
    """The contribution base's floor above its ceiling; the rates adding up past 1."""
    problems = []
    if floor > ceiling:
        problems.append(
            "social_insurance.base_floor_monthly must be <= base_ceiling_monthly; "
            f"got {floor} > {ceiling}"
        )
    if total > 1.0:
        problems.append(
            "social_insurance rates (pension, medical, unemployment, housing fund) "
            f"must add up to at most 1; got {total:.6g}"
        )
    return problems


def _raw_number(data: Any, key: str) -> float | None:
    """``data[key]`` as a finite float when it is a real number there, else None."""
    return _finite_float(data.get(key) if isinstance(data, Mapping) else None)


def _finite_float(value: Any) -> float | None:
    """``value`` as a finite float if it is a real number, else None.

    None for what the field's own check names instead: text, a bool, an integer
    beyond any float, a NaN (which compares false with everything: "nan <=
    144000" is no problem to report).
    """
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except OverflowError:
        return None
    return out if math.isfinite(out) else None


def _raw_contribution_problems(data: Any) -> list[str]:
    """:func:`_contribution_problems` of the raw values that are numbers."""
    floor = _raw_number(data, "base_floor_monthly")
    ceiling = _raw_number(data, "base_ceiling_monthly")
    rates = [_raw_number(data, k) for k in _CONTRIBUTION_RATES]
    problems = []
    if floor is not None and ceiling is not None:
        problems += _contribution_problems(floor, ceiling, 0.0)
    if all(r is not None for r in rates):
        problems += _contribution_problems(0.0, 0.0, sum(cast("list[float]", rates)))
    return problems


def _validate_adding(
    data: Any, handler: Callable[[Any], _T], raw_problems: Callable[[Any], list[str]]
) -> _T:
    """``handler(data)``; if a field fails, with the section's own checks added.

    Pydantic stops at a failing field before a section's "after" checks, so a
    file breaking a field and a rule across fields heard only of the field.
    ``raw_problems`` gives the rules' problems from the raw values; those not
    already said are added to the error.
    """
    try:
        return handler(data)
    except ValidationError as exc:
        # Not those the "after" check already raised (no field failed).
        said = " ".join(str(e.get("msg", "")) for e in exc.errors())
        extra = [p for p in raw_problems(data) if p not in said]
        if not extra:
            raise
        errors = [
            {k: e[k] for k in ("type", "loc", "input", "ctx") if k in e}
            for e in exc.errors()
        ]
        errors.append(
            {
                "type": "value_error",
                "loc": (),
                "input": data,
                "ctx": {"error": ValueError("; ".join(extra))},
            }
        )
        raise ValidationError.from_exception_data(
            exc.title, cast("list[InitErrorDetails]", errors)
        ) from None


def _check_schedule(
    name: str, thresholds: tuple[float, ...], rates: tuple[float, ...]
) -> list[str]:
    problems = []
    if len(thresholds) != len(rates):
        problems.append(
            f"income_tax.{name}rates must have one rate per bracket: "
            f"{len(thresholds)} thresholds, {len(rates)} rates (a list not given "
            "keeps the value it had, the scenario's or the status quo's: change "
            "both lists together)"
        )
    if thresholds and thresholds[0] != 0.0:
        problems.append(
            f"income_tax.{name}thresholds[0] must be 0 (thresholds are the lower "
            f"bounds of the brackets); got {thresholds[0]}"
        )
    for i in range(1, len(thresholds)):
        if not thresholds[i] > thresholds[i - 1]:
            problems.append(
                f"income_tax.{name}thresholds must be strictly increasing; "
                f"{name}thresholds[{i}] = {thresholds[i]} <= "
                f"{name}thresholds[{i - 1}] = "
                f"{thresholds[i - 1]}"
            )
    return problems


class IncomeTax(_Section):
    """Individual income tax: comprehensive, business and property income."""

    thresholds: ThresholdList = Field(
        min_length=1,
        max_length=MAX_BRACKETS,
        description="lower bounds of the comprehensive-income brackets, annual yuan; "
        "first is 0",
    )
    rates: RateList = Field(
        min_length=1,
        max_length=MAX_BRACKETS,
        description="marginal rate of each bracket",
    )
    basic_deduction: Annual = Field(description="basic deduction, yuan per year")
    child_education_monthly: Monthly = Field(
        description="deduction per child aged 3–17, yuan per month"
    )
    infant_care_monthly: Monthly = Field(
        description="deduction per child under 3, yuan per month"
    )
    elderly_support_monthly: Monthly = Field(
        description="elderly-support deduction per claimant, yuan per month"
    )
    elderly_support_share: Share = Field(
        description="share of wage earners aged 25–59 who claim elderly support"
    )
    business_thresholds: ThresholdList = Field(
        min_length=1,
        max_length=MAX_BRACKETS,
        description="lower bounds of the business-income brackets, annual yuan",
    )
    business_rates: RateList = Field(
        min_length=1,
        max_length=MAX_BRACKETS,
        description="marginal business-income rates",
    )
    property_rate: Rate = Field(description="flat rate on taxable property income")
    taxable_property_share: Share = Field(
        description="share of property income that is taxable"
    )

    @model_validator(mode="after")
    def _schedules(self) -> IncomeTax:
        problems = _check_schedule("", self.thresholds, self.rates)
        problems += _check_schedule(
            "business_", self.business_thresholds, self.business_rates
        )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _with_schedule_problems(
        cls, data: Any, handler: ModelWrapValidatorHandler[IncomeTax]
    ) -> IncomeTax:
        # A file with a rate of 2 and thresholds starting at 10 heard only of the
        # rate: the schedules' own problems are added from the raw lists when
        # their items are numbers.
        return _validate_adding(data, handler, _raw_schedule_problems)


def _raw_schedule_problems(data: Any) -> list[str]:
    """:func:`_check_schedule` of the raw schedules in ``data``.

    Only lists whose items are all real numbers; others are left to the fields'
    own errors.
    """

    def numbers(key: str) -> tuple[float, ...] | None:
        value = data.get(key) if isinstance(data, Mapping) else None
        if not isinstance(value, list | tuple):
            return None
        floats = tuple(_finite_float(v) for v in value)
        return None if None in floats else cast("tuple[float, ...]", floats)

    problems = []
    for name in ("", "business_"):
        thresholds, rates = numbers(f"{name}thresholds"), numbers(f"{name}rates")
        if thresholds is not None and rates is not None:
            problems += _check_schedule(name, thresholds, rates)
        elif thresholds is not None:
            problems += [
                p for p in _check_schedule(name, thresholds, ()) if "one rate" not in p
            ]
    return problems


class Transfers(_Section):
    """Cash transfers: dibao, residents' basic pension, child allowance."""

    dibao_monthly: Monthly = Field(
        description="minimum living guarantee line, yuan per person per month"
    )
    dibao_take_up: Share = Field(
        description="share of the dibao gap paid (expected take-up)"
    )
    residents_pension_monthly: Monthly = Field(
        description="residents' basic pension, yuan per person per month"
    )
    child_allowance_monthly: Monthly = Field(
        description="child allowance per eligible child, yuan per month"
    )
    child_allowance_max_age: Integer = Field(
        ge=0, le=18, description="children younger than this (years) are eligible"
    )


SECTIONS: Mapping[str, type[_Section]] = MappingProxyType(
    {
        "wages": Wages,
        "social_insurance": SocialInsurance,
        "income_tax": IncomeTax,
        "transfers": Transfers,
    }
)


def _relieved_schedule(
    thresholds: Sequence[float], rates: Sequence[float], rate: float, cap: float
) -> tuple[list[float], list[float]]:
    """A schedule ``s`` as the schedule of ``s(T) - rate * s(min(T, cap))``.

    Below ``cap`` every rate times ``1 - rate``, from it on the rates of ``s``;
    ``cap`` (> 0) becomes a threshold unless it is one. ``thresholds`` start at 0
    and increase (a validated scenario's).
    """
    k = bisect.bisect_left(thresholds, cap)
    scaled = [(1.0 - rate) * r for r in rates[:k]]
    if k < len(thresholds) and thresholds[k] == cap:
        return list(thresholds), [*scaled, *rates[k:]]
    return (
        [*thresholds[:k], cap, *thresholds[k:]],
        [*scaled, rates[k - 1], *rates[k:]],
    )


def _relief_argument(name: str, value: Any, upper: float, allowed: str) -> float:
    number = finite_float(value)
    if number is None or not 0.0 <= number <= upper:
        raise ScenarioError(
            f"with_business_relief: {name} must be a number in {allowed}; "
            f"got {quoted(value)}"
        )
    return number


@dataclass(frozen=True)
class PolicyArrays:
    """A scenario as the arrays the kernels read (quick deductions derived)."""

    params: np.ndarray
    thresholds: np.ndarray
    rates: np.ndarray
    quick_deductions: np.ndarray
    business_thresholds: np.ndarray
    business_rates: np.ndarray
    business_quick_deductions: np.ndarray

    def kernel_args(
        self,
    ) -> tuple[
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
    ]:
        """The arrays in the order the rules kernel takes them."""
        return (
            self.params,
            self.thresholds,
            self.rates,
            self.quick_deductions,
            self.business_thresholds,
            self.business_rates,
            self.business_quick_deductions,
        )


class Scenario(_Section):
    """A tax, contribution, wage and transfer policy for one year.

    Fields left out take the status-quo value of ``year`` (2020–2025, shipped and
    cited); for other years every field must be given but ``wages.growth_rate``
    (0 when left out). Construction validates
    everything and raises :class:`~commonprosperity.errors.ScenarioError` listing
    every problem by dotted key.

    Examples
    --------
    >>> s = Scenario(year=2025, transfers={"dibao_monthly": 1300})
    >>> s.transfers.dibao_monthly
    1300.0
    >>> s.replace({"income_tax.rates[2]": 0.18}).income_tax.rates[2]
    0.18
    >>> Scenario(year=2025, transfers={"dibao": 1300})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    commonprosperity.errors.ScenarioError: scenario: transfers.dibao: renamed to ...
    """

    year: Year = Field(ge=YEAR_RANGE[0], le=YEAR_RANGE[1], description="policy year")
    wages: Wages
    social_insurance: SocialInsurance
    income_tax: IncomeTax
    transfers: Transfers

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON Schema of a scenario file (pydantic's, bounds as ``minimum``).

        Parameters
        ----------
        *args, **kwargs
            Those of :meth:`pydantic.BaseModel.model_json_schema`.

        Returns
        -------
        dict
            Only ``year`` is required of a policy year 2020–2025, whose omitted
            fields take the status quo's; for other years every section and
            field is (``if``/``else`` on ``year``). Pydantic's schema required
            them all, refusing the README's own scenario file.
        """
        schema = super().model_json_schema(*args, **kwargs)
        defs = schema.get("$defs", {})
        sections = [k for k in schema.get("required", ()) if k != "year"]
        every: dict[str, Any] = {"required": sections, "properties": {}}
        for name in sections:
            ref = schema["properties"][name].get("$ref", "")
            fields = defs.get(ref.rsplit("/", 1)[-1], {}).pop("required", None)
            if fields:
                every["properties"][name] = {"required": fields}
        schema["required"] = ["year"]
        years = {"minimum": POLICY_YEARS[0], "maximum": POLICY_YEARS[-1]}
        schema["if"] = {"properties": {"year": years}}
        schema["else"] = every
        return schema

    def __init__(self, *args: Any, **data: Any) -> None:
        if args:
            # Python's own "takes 1 positional argument but 2 were given" did not
            # say what to write instead.
            raise ScenarioError(
                "Scenario takes keyword arguments only: Scenario(year=2025, "
                'transfers={"dibao_monthly": 1300}, ...), or '
                f"Scenario.status_quo(2025); got positional argument(s) {args!r}"
            )
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ScenarioError(self._error_text(exc, data)) from None

    @classmethod
    def _error_text(cls, exc: ValidationError, data: Any) -> str:
        return _format_errors(exc, "scenario", data)

    @classmethod
    def model_construct(cls, _fields_set: Any = None, **values: Any) -> Scenario:
        """``Scenario(**values)``: a scenario is always checked.

        pydantic's unchecked constructor made a Scenario without its sections
        (``simulate`` then failed on a missing attribute).
        """
        return cls(**values)

    @model_validator(mode="before")
    @classmethod
    def _fill_status_quo(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        # A 0-d array is its number, as the year field's own check reads it
        # (np.array(2021) left every section missing, with an empty message).
        try:
            year = _scalar(data.get("year"))
        except ValueError:
            return data  # the year field's check says what is wrong, by name
        if isinstance(year, np.integer) and is_integer(year):
            year = int(year)
        if (
            not isinstance(year, int)
            or isinstance(year, bool)
            or year not in POLICY_YEARS
        ):
            return data
        filled: dict[str, Any] = dict(data)
        defaults = _status_quo_tree(year)
        for section, values in defaults.items():
            given = filled.get(section, {})
            if isinstance(given, BaseModel):
                continue
            if isinstance(given, Mapping):
                filled[section] = {**values, **given}
        return filled

    # ------------------------------------------------------------ factories
    @classmethod
    def status_quo(cls, year: int) -> Scenario:
        """The status-quo policy of ``year`` (2020–2025), from shipped cited data.

        Parameters
        ----------
        year : int
            Policy year, 2020–2025.

        Returns
        -------
        Scenario
            Every value as in force that year (amounts in yuan; ``_monthly``
            fields per month, the rest per year), each cited in ``policy.toml``.
            The business schedule is the law's table (个人所得税法 附表二, A): the
            halving of the tax on individual businesses' income from 2021 applies
            to 个体工商户 only, which survey business income (farm and other
            income with it) does not tell apart, so it is not applied and business
            tax is overstated for them (docs/model-rules.md, business income;
            :meth:`with_business_relief` applies it to all business income).

        Raises
        ------
        ScenarioError
            If ``year`` is not an integer in 2020–2025.

        Examples
        --------
        >>> Scenario.status_quo(2021).income_tax.basic_deduction
        60000.0
        """
        # Check the type first: "2021" or 2021.0 would otherwise be reported as a
        # year without a shipped policy, or pass ``in`` and fail on every section.
        if not is_integer(year):
            raise ScenarioError(
                f"year must be an integer such as 2025; got {quoted(year)}"
            )
        if year not in POLICY_YEARS:
            raise ScenarioError(
                f"no status-quo policy is shipped for year {quoted(int(year))}; "
                "available: "
                f"{POLICY_YEARS[0]}–{POLICY_YEARS[-1]}"
            )
        return cls(year=year)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, source: str = "scenario"
    ) -> Scenario:
        """Validate a nested mapping (as read from TOML) into a scenario.

        Parameters
        ----------
        data : mapping
            ``{"year": 2025, "transfers": {"dibao_monthly": 1300}, ...}``; fields
            not given take the status quo of ``year``.
        source : str, optional
            What the mapping came from (a file's path), named in errors.

        Returns
        -------
        Scenario

        Raises
        ------
        ScenarioError
            Naming every unknown key and invalid value, or if ``source`` is
            not a str.
        """
        if not isinstance(source, str):
            # It starts every message: ["a"] was taken, 3.5 began one "3.5: ...".
            raise ScenarioError(
                f"Scenario.from_dict: source must be a str (the name messages "
                f"start with); got {type(source).__name__} {quoted(source)}"
            )
        if not isinstance(data, Mapping):
            raise ScenarioError(
                f"{source}: must be a table of keys; got {type(data).__name__}"
            )
        if not data:
            raise ScenarioError(
                f"{source}: is empty; a scenario needs at least `year = ...`"
            )
        try:
            return cls(**{str(k): v for k, v in data.items()})
        except ScenarioError as exc:
            message = str(exc).removeprefix("scenario: ")
            raise ScenarioError(f"{source}: {message}") from None

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read a scenario from a TOML file (fields not given: status quo of its year).

        Parameters
        ----------
        path : str or pathlib.Path
            The file; a leading ``~`` is the home directory.

        Returns
        -------
        Scenario

        Raises
        ------
        ScenarioError
            If the file is missing, unreadable, not TOML, empty or invalid; the
            message names the path and every failing key.
        """
        data = read_toml_file(path, "scenario file")
        if isinstance(data.get("grid"), dict):
            # A sweep file's keys are each "unknown scenario key": say what it is.
            raise ScenarioError(
                f"{Path(path)}: is a sweep file (it has a [grid] table), not a "
                "scenario file; run it with `commonprosperity sweep FILE`"
            )
        return cls.from_dict(data, source=str(Path(path)))

    # --------------------------------------------------------------- output
    def to_dict(self) -> dict[str, Any]:
        """Nested plain-Python dict of every field (lists for schedules).

        Returns
        -------
        dict
            ``{"year": int, section: {field: value}}`` for the four sections, in
            each field's unit (yuan per year or per month as its name says,
            fractions for rates), as :meth:`to_toml` writes it.
        """
        out: dict[str, Any] = {"year": self.year}
        for section in SECTIONS:
            values = getattr(self, section).model_dump()
            out[section] = {
                k: list(v) if isinstance(v, tuple) else v for k, v in values.items()
            }
        return out

    def to_toml(self, path: str | Path | None = None) -> str:
        """Write every field as TOML (to ``path`` if given) and return the text.

        Parameters
        ----------
        path : str or pathlib.Path, optional
            File to write (a leading ``~`` is the home directory); None: only
            return the text.

        Returns
        -------
        str
            The TOML text, every field written (so it reads back equal).

        Raises
        ------
        ScenarioError
            If the file cannot be written.

        Examples
        --------
        >>> s = Scenario.status_quo(2023)
        >>> import tomllib
        >>> Scenario.from_dict(tomllib.loads(s.to_toml())) == s
        True
        """
        text = tomli_w.dumps(self.to_dict())
        if path is None:
            return text
        if isinstance(path, str) and not path.strip():
            # Path("") is Path("."): the error would name the current directory.
            raise ScenarioError(
                f"to_toml: no path given (got {quoted(path)}); "
                "pass None for the text only"
            )
        if not isinstance(path, str | os.PathLike):
            raise ScenarioError(
                f"to_toml: path must be a str or pathlib.Path (or None for the text "
                f"only); got {type(path).__name__} {path!r}"
            )
        target = expand_home(path, ScenarioError)
        try:
            replace_atomically(
                target,
                lambda scratch: Path(scratch).write_text(text, encoding="utf-8"),
            )
        except OSError as exc:
            raise ScenarioError(
                f"{path}: cannot write the scenario file ({exc.strerror})"
            ) from None
        except ValueError as exc:  # an embedded NUL byte
            raise ScenarioError(
                f"{path!r}: cannot write the scenario file ({exc})"
            ) from None
        return text

    def replace(self, changes: Mapping[str, Any]) -> Scenario:
        """Return a new, re-validated scenario with dotted-path changes applied.

        Parameters
        ----------
        changes : mapping of str to value
            ``{"transfers.dibao_monthly": 1200, "income_tax.rates[2]": 0.18}``.
            Other fields keep their values (a change of ``year`` does not reload
            the status quo).

        Returns
        -------
        Scenario
            A new scenario; this one is unchanged.

        Raises
        ------
        ScenarioError
            For an unknown path (with the closest valid ones), an invalid value,
            or ``changes`` that is not a mapping.
        """
        if not isinstance(changes, Mapping):
            raise ScenarioError(
                "replace() takes a mapping of dotted paths to values, e.g. "
                f"{{'transfers.dibao_monthly': 1200}}; got {type(changes).__name__}"
            )
        data = self.to_dict()
        problems = overlapping_paths(self, list(changes), values=list(changes.values()))
        for path, value in changes.items():
            # Past those the message shows, a problem is counted, not explained
            # (the closest keys of each of 16,000 unknown ones took 6 s).
            explain = len(problems) < SHOWN_PROBLEMS
            try:
                _set_path(data, path, value, explain)
            except KeyError as exc:
                problems.append(str(exc.args[0]))
        if problems:
            # The values of the valid paths are checked too: every problem of one
            # call is reported at once.
            try:
                Scenario.from_dict(data)
            except ScenarioError as exc:
                problems.append(str(exc).removeprefix("scenario: "))
            raise ScenarioError("scenario: " + joined_problems(problems))
        return Scenario.from_dict(data)

    def with_business_relief(self, rate: float, cap: float) -> Scenario:
        """The scenario with the relief for individual businesses in its schedule.

        Individual businesses (个体工商户) pay ``rate`` less of the tax on the part
        of their annual taxable business income up to ``cap``: ``T`` pays
        ``s(T) - rate * s(min(T, cap))``, ``s`` this scenario's business schedule
        (国家税务总局公告2021年第8号's waived amount with no other relief). Up to
        the cap that is ``(1 - rate) * s(T)``, above it each further yuan pays the
        schedule's rate: again a schedule, with the cap as a threshold and the
        rates below it times ``1 - rate``, which this returns. The status quo does
        not apply the relief: its business schedule is the law's (个人所得税法
        附表二). In force: 0.5 up to 1,000,000 yuan in 2021–2022 (财政部 税务总局
        公告2021年第12号; recalled, R) and 0.5 up to 2,000,000 in 2023–2027
        (公告2023年第12号; shared statistics §8, R/B).

        Parameters
        ----------
        rate : float
            Share of the tax on the part up to the cap that is waived, 0–1
            (0.5: halved).
        cap : float
            Taxable business income up to which the relief applies, yuan per
            year.

        Returns
        -------
        Scenario
            ``income_tax.business_thresholds`` and ``business_rates`` net of the
            relief (one bracket more unless the cap is a threshold already); the
            same scenario when ``rate`` or ``cap`` is 0. Apply it once: a second
            time relieves the tax below the cap again.

        Raises
        ------
        ScenarioError
            If ``rate`` is not a number in 0–1 or ``cap`` not one in 0–1e10, or
            the schedule would have more than 20 brackets.

        Examples
        --------
        >>> s = Scenario.status_quo(2023).with_business_relief(0.5, 2_000_000)
        >>> s.income_tax.business_thresholds
        (0.0, 30000.0, 90000.0, 300000.0, 500000.0, 2000000.0)
        >>> s.income_tax.business_rates
        (0.025, 0.05, 0.1, 0.15, 0.175, 0.35)
        """
        rate = _relief_argument("rate", rate, 1.0, "0–1 (0.5: half the tax waived)")
        cap = _relief_argument("cap", cap, 1e10, "0–1e10 (yuan per year)")
        if rate == 0.0 or cap == 0.0:
            return self
        thresholds, rates = _relieved_schedule(
            self.income_tax.business_thresholds,
            self.income_tax.business_rates,
            rate,
            cap,
        )
        try:
            return self.replace(
                {
                    "income_tax.business_thresholds": thresholds,
                    "income_tax.business_rates": rates,
                }
            )
        except ScenarioError as exc:
            raise ScenarioError(
                f"with_business_relief({rate!r}, {cap!r}): the cap as a threshold "
                f"makes a schedule the scenario refuses: {exc}"
            ) from None

    def get(self, path: str) -> Any:
        """Value at a dotted path, e.g. ``"income_tax.rates[2]"``.

        Parameters
        ----------
        path : str
            A dotted path of :meth:`paths`, with ``[i]`` for a list element.

        Returns
        -------
        int, float, list or dict
            The value, in the field's unit (yuan per year unless ``_monthly``);
            a section's name (``"transfers"``) gives its fields as a dict.

        Raises
        ------
        ScenarioError
            For an unknown path or an index out of range.
        """
        return _value_at(self.to_dict(), path)

    @staticmethod
    def paths() -> list[str]:
        """Every dotted path of the scalar and list fields.

        Returns
        -------
        list of str
            ``"year"`` and ``"section.field"`` for every field.
        """
        out = ["year"]
        for section, model in SECTIONS.items():
            out += [f"{section}.{name}" for name in model.model_fields]
        return out

    def check_unchanged(self, where: str) -> None:
        """Raise ScenarioError if a field changed in place makes it invalid.

        ``vars(scenario.transfers)["dibao_take_up"] = 7`` goes past the frozen
        model's guard; simulate then ran on it (NaN indicators for a NaN line,
        a take-up of 700 %). The values are validated again (about 0.1 ms): a
        change to another valid value is not caught, and runs as the scenario
        now reads (``to_dict``, ``to_toml`` show it).

        Parameters
        ----------
        where : str
            The call to name in the error (``"simulate"``).
        """
        try:
            type(self).model_validate(self.model_dump())
        except ScenarioError as exc:
            raise ScenarioError(
                f"{where}: the scenario was changed in place after it was checked "
                f"(through vars() or __dict__?), and is no longer valid: {exc}; "
                "build a changed scenario with scenario.replace({...})"
            ) from None

    def as_arrays(self) -> PolicyArrays:
        """The scenario as kernel inputs (annual amounts; quick deductions derived).

        Returns
        -------
        PolicyArrays
            The parameter vector (monthly amounts times 12: yuan per year) and
            the tax schedules as float arrays.
        """
        p = np.zeros(L.N_PARAMS)
        w, si, it, tr = (
            self.wages,
            self.social_insurance,
            self.income_tax,
            self.transfers,
        )
        p[L.GROWTH_RATE] = w.growth_rate
        p[L.MINIMUM_WAGE_TIER1] = 12.0 * w.minimum_wage_monthly_tier1
        p[L.MINIMUM_WAGE_TIER1 + 1] = 12.0 * w.minimum_wage_monthly_tier2
        p[L.MINIMUM_WAGE_TIER1 + 2] = 12.0 * w.minimum_wage_monthly_tier3
        p[L.CONTRIBUTION_RATE] = si.contribution_rate
        p[L.BASE_FLOOR] = 12.0 * si.base_floor_monthly
        p[L.BASE_CEILING] = 12.0 * si.base_ceiling_monthly
        p[L.BASIC_DEDUCTION] = it.basic_deduction
        p[L.CHILD_EDUCATION] = 12.0 * it.child_education_monthly
        p[L.INFANT_CARE] = 12.0 * it.infant_care_monthly
        p[L.ELDERLY_SUPPORT] = 12.0 * it.elderly_support_monthly
        p[L.ELDERLY_SUPPORT_SHARE] = it.elderly_support_share
        p[L.PROPERTY_RATE] = it.property_rate
        p[L.TAXABLE_PROPERTY_SHARE] = it.taxable_property_share
        p[L.DIBAO_LINE] = 12.0 * tr.dibao_monthly
        p[L.DIBAO_TAKE_UP] = tr.dibao_take_up
        p[L.RESIDENTS_PENSION] = 12.0 * tr.residents_pension_monthly
        p[L.CHILD_ALLOWANCE] = 12.0 * tr.child_allowance_monthly
        p[L.CHILD_ALLOWANCE_MAX_AGE] = tr.child_allowance_max_age
        thr = np.array(it.thresholds, dtype=np.float64)
        rat = np.array(it.rates, dtype=np.float64)
        bthr = np.array(it.business_thresholds, dtype=np.float64)
        brat = np.array(it.business_rates, dtype=np.float64)
        p[L.SCHEDULE_CONVEX] = float(np.all(np.diff(rat) >= 0))
        p[L.BUSINESS_SCHEDULE_CONVEX] = float(np.all(np.diff(brat) >= 0))
        return PolicyArrays(
            params=p,
            thresholds=thr,
            rates=rat,
            quick_deductions=quick_deductions(thr, rat),
            business_thresholds=bthr,
            business_rates=brat,
            business_quick_deductions=quick_deductions(bthr, brat),
        )

    def weak_values(self) -> list[PublishedValue]:
        """The C- or R-graded published values this scenario uses unchanged.

        The values are those of the status quo the scenario came from: the
        policy year whose status quo it matches in most values (its own year,
        unless its year was changed by ``replace({"year": ...})`` or set past the
        last policy year; a tie goes to the nearer year). A value equal to that
        year's published one is listed if it is graded C or R, with the year
        named in its ``source`` ("2025 status quo: ...") when it is not the
        scenario's own; one the scenario changed is not listed, unless it equals
        its own year's C- or R-graded value.

        Returns
        -------
        list of PublishedValue
            In the order of the policy data file; empty if the scenario uses no
            C- or R-graded value.
        """
        years = sorted(POLICY_YEARS, key=lambda y: (abs(y - self.year), -y))
        table = functools.cache(policy_values)
        data = self.to_dict()
        values = {key: _value_at(data, key) for key in table(years[0])}

        def matches(year: int) -> int:
            return sum(
                1
                for key, value in values.items()
                if (pv := table(year).get(key)) is not None and _same(value, pv.value)
            )

        # Any other year's value matched made a reform that set the child
        # allowance to 0 in 2025 "rely" on 2024's unverified "none found".
        origin = max(years, key=matches)  # the first (nearest) of a tie
        lookup = [origin] + ([self.year] if self.year in POLICY_YEARS else [])
        used = []
        for key, value in values.items():
            for year in dict.fromkeys(lookup):
                pv = table(year).get(key)
                if pv is None or not _same(value, pv.value):
                    continue
                if pv.grade in ("C", "R"):
                    if year != self.year:
                        pv = dataclasses.replace(
                            pv, source=f"{year} status quo: {pv.source}"
                        )
                    used.append(pv)
                break
        return used


def read_toml_file(path: str | Path, what: str) -> dict[str, Any]:
    """Read a TOML file into a dict; every failure is a ScenarioError naming ``path``.

    ``what`` names the file in a read error ("scenario file", "sweep file"). A
    UTF-8 byte-order mark (Windows editors write one) is read past: it is no
    content, and tomllib's "Invalid statement (at line 1, column 1)" on a file that
    looks right in any editor sent users hunting for a typo.
    """
    if isinstance(path, str) and not path.strip():
        # Path("") is Path("."): the error would name the current directory.
        raise ScenarioError(f"{what}: no path given (got {quoted(path)})")
    if not isinstance(path, str | os.PathLike) or isinstance(path, bytes):
        raise ScenarioError(
            f"{what}: the path must be a str or pathlib.Path; got "
            f"{type(path).__name__} {path!r}"
        )
    path = expand_home(path, ScenarioError)
    try:
        # Reading a FIFO would wait for a writer forever and /dev/zero would
        # fill the memory: only a regular file is read.
        special = path_state(path) == "other"
        raw = b"" if special else path.read_bytes()
    except OSError as exc:
        given = str(path)
        # A key = value line, not a folder such as runs/lever=dibao, nor a
        # Windows path whose \n a string's escape made a new line.
        if ("\n" in given and _parses_as_toml(given)) or (
            re.match(r"\s*[A-Za-z_][\w.\"-]*\s*=", given)
            and os.sep not in given
            and not given.lower().endswith(".toml")
        ):
            # TOML text given as the path: "year = 2024: ... (No such file)".
            advice = (
                ", or read the text with tomllib.loads and give the dict to "
                "Scenario.from_dict"
                if what == "scenario file"
                else ""
            )
            raise ScenarioError(
                f"{what}: got TOML text, not a path ({quoted(given[:60])}); pass "
                f"the path of a file{advice}"
            ) from None
        slips = path_slips(given)
        shown = (
            repr(given) if control_character(given) or given != given.strip() else given
        )
        raise ScenarioError(
            f"{shown}: cannot read {what} ({exc.strerror}"
            + (f"; {slips})" if slips else ")")
        ) from None
    except ValueError as exc:  # e.g. an embedded NUL byte in the path
        raise ScenarioError(f"{str(path)!r}: cannot read {what} ({exc})") from None
    if special:
        raise ScenarioError(
            f"{path}: is not a file (a TOML {what} is required; got a device, "
            "pipe or socket)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            f"{path}: is not a UTF-8 text (TOML) file: byte "
            f"{raw[exc.start : exc.start + 1]!r} on line {line} is not UTF-8 "
            "(save the file as UTF-8; GBK and UTF-16 are not TOML)"
        ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        # UTF-16 without a byte-order mark decodes as UTF-8 with a NUL beside
        # every ASCII character; tomllib called it a syntax error at column 2.
        line = text[: text.index("\x00")].count("\n") + 1
        raise ScenarioError(
            f"{path}: is not a UTF-8 text (TOML) file: a NUL byte on line {line} "
            "(a UTF-16 file? save it as UTF-8)"
        )
    if "\x1a" in text:
        # The end-of-file mark of old DOS and Windows tools (in the middle where
        # files were joined): tomllib called it an invalid statement.
        line = text[: text.index("\x1a")].count("\n") + 1
        raise ScenarioError(
            f"{path}: holds a Ctrl-Z (0x1A) end-of-file mark on line {line}, which "
            "some Windows tools write and TOML does not allow: delete it"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(
            f"{path}: is not valid TOML: {exc}{_toml_line_hint(str(exc), text)}"
        ) from None
    except ValueError:  # an integer of more digits than Python converts
        # Python's advice (sys.set_int_max_str_digits) is not a file's reader's.
        long = max(
            re.finditer(r"[0-9][0-9_]{999,}", text),
            key=lambda match: match.end() - match.start(),
            default=None,
        )
        where = (
            f"line {text[: long.start()].count(chr(10)) + 1} holds an integer of "
            f"{sum(c.isdigit() for c in long.group()):,} digits"
            if long
            else "it holds an integer too long to read"
        )
        raise ScenarioError(
            f"{path}: is not valid TOML: {where} (a TOML integer has at most 19)"
        ) from None
    except RecursionError:
        raise ScenarioError(
            f"{path}: is not valid TOML: arrays or tables nested too deeply"
        ) from None


def _parses_as_toml(text: str) -> bool:
    """Whether ``text`` is TOML (a path given the text of a scenario file)."""
    try:
        tomllib.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _toml_line_hint(message: str, text: str) -> str:
    """The line tomllib's ``message`` points at, quoted, and what a redefinition is.

    tomllib names a line and column only ("Cannot overwrite a value (at line 4,
    column 21)"); the line's text names the key.
    """
    found = re.search(r"\(at line (\d+), column \d+\)", message)
    if found is None:
        return ""
    lines = text.split("\n")  # tomllib's lines: splitlines() also cuts at \f
    number = int(found.group(1))
    hint = ""
    line = ""
    if 1 <= number <= len(lines):
        line = lines[number - 1]
        hint = f"; line {number} reads {quoted(line.strip())}"
    if message.startswith(("Cannot overwrite a value", "Cannot declare")):
        hint += " (a key or table given twice: each may be given once)"
    elif "\\" in line and (
        message.startswith(("Unescaped", "Illegal character '\\n'", "Unterminated"))
        or "escape" in message
        or "hex value" in message
    ):
        hint += (
            " (in a double-quoted TOML string a backslash starts an escape: write "
            "paths with forward slashes, or in single quotes)"
        )
    return hint


def dotted_values(scenario: Scenario) -> dict[str, Any]:
    """``{"section.field": value}`` of every field but ``year`` (lists as tuples).

    The values compare and hash: a sweep finds the fields its scenarios vary by
    them, a report the fields a reference scenario changes.
    """
    return {
        f"{section}.{key}": tuple(v) if isinstance(v, list) else v
        for section, values in scenario.to_dict().items()
        if isinstance(values, dict)
        for key, v in values.items()
    }


def _value_at(data: dict[str, Any], path: str) -> Any:
    """Value at a dotted ``path`` of a scenario's :meth:`Scenario.to_dict`."""
    section, key, index = _parse_path(path)
    if section not in data or (key is None and index is not None):
        raise ScenarioError(_unknown_path_message(path))
    if key is None:
        return data[section]
    if not isinstance(data[section], dict) or key not in data[section]:
        raise ScenarioError(_unknown_path_message(path))
    value = data[section][key]
    if index is None:
        return value
    # The same words as replace(): "income_tax.rates[9]" is a known list with
    # too few items, not an unknown key.
    problem = _index_problem(path, section, key, value, index)
    if problem is not None:
        raise ScenarioError(problem)
    return value[index]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return list(map(float, a)) == list(map(float, b))
    return float(a) == float(b)


def _status_quo_tree(year: int) -> dict[str, dict[str, Any]]:
    tree: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for key, pv in policy_values(year).items():
        section, name = key.split(".", 1)
        if section in tree:
            tree[section][name] = pv.value
    return tree


# ASCII only and matched whole: ``\d`` would take Arabic-Indic digits
# (``rates[٣]`` was rates[3]) and ``$`` a trailing newline ("wages.growth_rate\n").
_PATH = re.compile(
    r"(?P<section>[A-Za-z_]+)(?:\.(?P<key>[A-Za-z0-9_]+))?(?:\[(?P<index>-?[0-9]+)\])?",
    re.ASCII,
)


def _parse_path(path: str) -> tuple[str, str | None, int | None]:
    if not isinstance(path, str):
        # get(5) said "'5' is not a scenario key", quoting a str never given.
        # quoted: an int of over 4,300 digits raised a bare ValueError.
        raise ScenarioError(
            "a scenario key is a dotted path (str) such as "
            f"'transfers.dibao_monthly' or 'income_tax.rates[2]'; got "
            f"{type(path).__name__} {quoted(path)}"
        )
    m = _PATH.fullmatch(path)
    if m is None:
        raise ScenarioError(_unknown_path_message(path))
    index = m.group("index")
    if index is not None and len(index.lstrip("-")) > 18:
        # Beyond any list's length; int() of over 4,300 digits raises a bare
        # ValueError (Python's limit), and the message would repeat them all.
        raise ScenarioError(
            f"{path[: m.start('index')]}{index[:12]}…]: index out of range "
            f"(a list index has at most 18 digits; got {len(index.lstrip('-'))})"
        )
    return m.group("section"), m.group("key"), None if index is None else int(index)


def lever_unit(path: str) -> str:
    """The unit of a scenario lever from its name (the library's naming rule).

    Amounts are yuan per year unless the name says ``monthly``
    (``dibao_monthly``, ``minimum_wage_monthly_tier1``); rates, shares and take-up
    are fractions; ``..._age`` is years. A growth rate is a fraction per year that
    may be negative (a fall of wages), so it is not called a share.
    """
    name = path.split(".")[-1].split("[")[0]
    if "monthly" in name.split("_"):
        return "yuan per month"
    if name.endswith("growth_rate"):
        return "fraction per year, may be negative"
    if name.endswith(("rate", "rates", "share", "take_up")):
        return "share (0-1)"
    if name.endswith("_age"):
        return "years"
    if name == "year":
        return "year"
    return "yuan per year"


def overlapping_paths(
    scenario: Scenario, paths: Sequence[Any], *, values: Sequence[Any] | None = None
) -> list[str]:
    """Why some of ``paths`` set the same value: one message per clash.

    Two paths clash when they name one item of a list (``income_tax.rates[-1]``
    and ``income_tax.rates[6]`` of a 7-rate schedule) or a list and one of its
    items. With the paths' ``values`` (a :meth:`Scenario.replace` mapping,
    applied in order) a whole list followed by an item path is allowed: the item
    is set into the new list, against whose length a negative index counts.
    Paths that are not valid are left to the caller.
    """
    ordered = values is not None
    # Distinct plain paths cannot clash; only an item path can (the common grid of
    # scalar levers skips the scan: it cost a third of replace()).
    if not any(isinstance(p, str) and "[" in p for p in paths):
        return []
    data = scenario.to_dict()
    seen: dict[tuple[str, str | None, int | None], str] = {}
    replaced: dict[tuple[str, str | None], Any] = {}
    problems = []
    for n, path in enumerate(paths):
        try:
            section, key, index = _parse_path(path)
        except ScenarioError:
            continue
        current = data.get(section)
        if key is not None:
            current = current.get(key) if isinstance(current, dict) else None
        current = replaced.get((section, key), current)
        if ordered and index is None:
            # Items set after this path are set into the new list.
            replaced[section, key] = _stored(cast("Sequence[Any]", values)[n])
        if index is not None and isinstance(current, list) and index < 0:
            index += len(current)
        whole = seen.get((section, key, None))
        if (section, key, index) in seen:
            other = seen[section, key, index]
            what = "the same value" if index is None else f"item [{index}]"
            problems.append(f"{other} and {path} both set {what}; give it once")
        elif index is None and any(k[:2] == (section, key) for k in seen):
            item = next(v for k, v in seen.items() if k[:2] == (section, key))
            problems.append(
                f"{item} and {path} overlap: {path} would replace the item {item} "
                "sets; set the whole list or its items, not both"
            )
        elif index is not None and whole is not None and not ordered:
            problems.append(
                f"{whole} and {path} overlap: set the whole list or its items, not both"
            )
        seen.setdefault((section, key, index), path)
    return problems


def _stored(value: Any) -> Any:
    """``value`` as :meth:`Scenario.replace` stores a whole field.

    A schedule given as a tuple, a 1-d array or another sequence (a range too:
    "is not a list" would then be wrong) becomes a list, so that a later item
    path of the same change (``income_tax.rates[1]``) can set into it.
    """
    # np.ndim last: of a ragged list it raised NumPy's bare "inhomogeneous
    # shape" ValueError, where the field's own check names the item.
    if (
        not isinstance(value, np.ndarray)
        and hasattr(value, "dtype")
        and np.ndim(value) == 1
    ):
        # A pandas Series or Index: its items as NumPy scalars, checked as they
        # are (iterating it gave Python floats, a float16 one's rounding unseen).
        value = np.asarray(value)
    is_array = isinstance(value, np.ndarray) and value.ndim == 1
    is_sequence = isinstance(value, Sequence) and not isinstance(
        value, str | bytes | bytearray
    )
    return list(value) if is_sequence or is_array else value


def _unknown_path_message(path: str) -> str:
    message = _unknown_path_text(path)
    odd = [(i, ch) for i, ch in enumerate(path) if not ch.isascii()]
    if odd and len(path) <= 100:
        # Every key is ASCII: a Cyrillic 'а' or a zero-width space printed like
        # the key it was mistaken for ("did you mean transfers.dibao_monthly?"
        # beside an identical-looking transfers.dibаo_monthly).
        i, ch = odd[0]
        message += (
            f" (the key holds {len(odd)} character(s) that are not ASCII, "
            f"the first {ch!r}, U+{ord(ch):04X}, at position {i}; the keys are "
            "plain ASCII)"
        )
    return message


def _unknown_path_text(path: str) -> str:
    if len(path) > 100:
        # Echoed whole, a 100,000-character key made a message as long.
        return (
            f"{quoted(path)}: unknown scenario key; the sections are "
            f"{', '.join(SECTIONS)} (and year)"
        )
    if not re.search(r"[A-Za-z]", path):
        return (
            f"{path!r} is not a scenario key: give a dotted path such as "
            "'transfers.dibao_monthly' or 'income_tax.rates[2]'"
        )
    # The path without an item index ("income_tax.rates[2]"): ASCII digits, and
    # no newline after it (\d and $ took both).
    item = re.fullmatch(r"(.+)\[-?[0-9]+\]", path)
    base = item.group(1) if item else path
    if base in RENAMED:
        note = RENAMED_NOTES.get(base)
        return f"{path}: renamed to {RENAMED[base]}" + (f", {note}" if note else "")
    if base in SECTIONS:
        first = next(iter(SECTIONS[base].model_fields))
        return (
            f"{path}: is a section, not a value; give its keys, such as {base}.{first}"
        )
    if path in Scenario.paths():
        # Reached only with the dots inside one key: a file's quoted
        # "transfers.dibao_monthly" = 1300 (the message read "did you mean"
        # the very same name), or a constructor's or model_copy's keyword.
        section, _, field_name = path.partition(".")
        return (
            f"{path!r} is one quoted key, not a dotted path; in a scenario file "
            f"write {path} = ... unquoted, or {field_name} = ... under "
            f"[{section}]; in Python, scenario.replace({{{path!r}: value}})"
        )
    if base != path and base in Scenario.paths():
        # An item path as a key (a file's quoted "income_tax.rates[2]"): "did
        # you mean income_tax.rates?" led to rates = 0.18, "must be a list".
        section, _, field_name = base.partition(".")
        return (
            f"{path!r}: an item path is not a key; item paths are for "
            "scenario.replace, sweeps and solve; a scenario file gives the whole "
            f"list, {field_name} = [...] under [{section}]"
        )
    if path != path.strip():
        return (
            f"{path!r}: unknown scenario key (it has surrounding spaces); did you "
            f"mean {path.strip()!r}?"
        )
    if re.search(r"urbani[sz]|urban_(?:share|rate)", base.lower()):
        # The first key tried for the 75 % target (T6): say where it is set.
        # Persons alone by area made large urban households heavier and large
        # rural ones lighter: both areas' means and T4 moved, no income had.
        return (
            f"{path}: unknown scenario key; urbanisation is the population's, "
            "not a policy lever: project(population, year) moves it between "
            "years; calibrate(population, {'households': {'urban': {True: "
            "H_u * f_u, False: H_r * f_r}}, 'persons': {'urban': {True: P_u * f_u, "
            "False: P_r * f_r}}}) sets it, each area's households H and persons P "
            "scaled by one factor f (its persons per household and mean income "
            "then stay; persons alone would change both); and "
            f"{CENSUS_HOW} starts at the official rate"
        )
    # A section nested in another ([transfers.income_tax] in a file): say where
    # it belongs, not which keys of the outer section look alike.
    parts = base.split(".")
    at = next((i for i in range(1, len(parts)) if parts[i] in SECTIONS), None)
    if at is not None:
        return (
            f"{path}: unknown scenario key; {parts[at]} is a section of its own, "
            f"not part of {'.'.join(parts[:at])}: write {'.'.join(parts[at:])} "
            f"(in a file, [{parts[at]}] at the top level)"
        )
    # Case first: TRANSFERS.Dibao_Monthly is no spelling mistake. Then the same
    # key in another section (social_insurance.dibao_monthly: difflib ranked
    # three social_insurance keys above transfers.dibao_monthly).
    close = [p for p in Scenario.paths() if p.lower() == base.lower()]
    field_name = base.rpartition(".")[2].lower()
    close = close or [
        p for p in Scenario.paths() if p.rpartition(".")[2].lower() == field_name
    ]
    # The same words in another order (minimum_wage_tier1_monthly: difflib
    # ranked tier3 and tier2 above tier1).
    words = sorted(field_name.split("_"))
    close = close or [
        p
        for p in Scenario.paths()
        if sorted(p.rpartition(".")[2].lower().split("_")) == words
    ]
    if not close and "." not in base:
        # A misspelt section header ([income-tax], [Transfer]): the section, not
        # the field whose name happens to look closest (income_tax.rates).
        squeezed = re.sub(r"[^a-z0-9]", "", base.lower())
        sections = [
            s for s in SECTIONS if s.replace("_", "") == squeezed
        ] or difflib.get_close_matches(base.lower(), list(SECTIONS), n=1, cutoff=0.6)
        if sections:
            return (
                f"{path}: unknown scenario key; did you mean the section "
                f"{sections[0]} ([{sections[0]}] in a file)?"
            )
    section, _, key = base.partition(".")
    if section in SECTIONS and key:
        # Within the section: on whole paths the shared "transfers." made any
        # key look close ([transfers] k0 was asked about dibao_take_up).
        close = close or [
            f"{section}.{k}"
            for k in difflib.get_close_matches(
                key, list(SECTIONS[section].model_fields), n=3, cutoff=0.6
            )
        ]
    else:
        close = close or difflib.get_close_matches(
            base, Scenario.paths(), n=3, cutoff=0.6
        )
    if close:
        return f"{path}: unknown scenario key; did you mean {', '.join(close)}?"
    # Nothing close: say what there is, the section's keys if the section is
    # right, else the sections.
    section = base.partition(".")[0]
    if section in SECTIONS:
        keys = ", ".join(SECTIONS[section].model_fields)
        return f"{path}: unknown scenario key; the keys of [{section}] are {keys}"
    return (
        f"{path}: unknown scenario key; the sections are {', '.join(SECTIONS)} "
        "(and year)"
    )


def _set_path(
    data: dict[str, Any], path: str, value: Any, explain: bool = True
) -> None:
    """Set ``path`` of ``data``; KeyError with why not (``explain``) or the path."""
    try:
        section, key, index = _parse_path(path)
    except ScenarioError as exc:
        raise KeyError(str(exc)) from None
    if key is None:
        if section != "year" or index is not None:
            raise KeyError(_unknown_path_message(path) if explain else path)
        data["year"] = value
        return
    if (
        section not in data
        or not isinstance(data[section], dict)
        or key not in data[section]
    ):
        raise KeyError(_unknown_path_message(path) if explain else path)
    if index is None:
        data[section][key] = _stored(value)
        return
    target = data[section][key]
    problem = _index_problem(path, section, key, target, index)
    if problem is not None:
        raise KeyError(problem)
    target[index] = value


def _index_problem(
    path: str, section: str, key: str, target: Any, index: int
) -> str | None:
    """Why ``path`` (``section.key[index]``) names no item of ``target``, or None."""
    if not isinstance(target, list):
        return f"{path}: {section}.{key} is not a list; drop the [{index}]"
    if not -len(target) <= index < len(target):
        return f"{path}: index {index} out of range for {len(target)} elements"
    return None


_COMPARISONS = (
    ("greater than or equal to", ">="),
    ("less than or equal to", "<="),
    ("greater than", ">"),
    ("less than", "<"),
)
_RATE_KEYS = re.compile(r"(rate|rates|share|take_up)(\[\d+\])?$")


def _format_errors(
    exc: ValidationError, source: str, data: Any, *, section: str | None = None
) -> str:
    """One line naming every problem by dotted key.

    ``section``: the errors are of that section's model alone (a ``Transfers(...)``
    built directly): its keys get the section's prefix and, with no year to fill
    them from, a missing field is an error.
    """
    problems: list[str | Callable[[], str]] = []
    year = data.get("year") if isinstance(data, Mapping) else None
    year_ok = section is not None or (
        is_integer(year) and not any(e["loc"] == ("year",) for e in exc.errors())
    )
    unshipped: list[str] = []
    hinted = False
    # Locations with a failing item: pydantic then also reports the tuple as too
    # short ("at least 1 item after validation, not 0" for one bad rate), which is
    # false; the item's own error says what is wrong.
    item_failed = {
        e["loc"][:-1]
        for e in exc.errors()
        if e["loc"] and isinstance(e["loc"][-1], int)
    }
    for err in exc.errors():
        loc = "" if section is None else section
        for part in err["loc"]:
            loc += (
                f"[{part}]"
                if isinstance(part, int)
                else (f".{part}" if loc else str(part))
            )
        kind = err["type"]
        got = err.get("input")
        if kind == "extra_forbidden":
            # Written out only if shown (a "did you mean" search per key: 20,000
            # unknown keys took 30 s).
            problems.append(functools.partial(_unknown_path_message, loc))
            continue
        if kind == "missing":
            if loc == "year":
                problems.append("year: required (the policy year, 2000–2100)")
            elif not year_ok:
                # Missing fields come from the status quo of the year: with no
                # valid year, listing them would only bury the year's problem.
                continue
            elif section is None and year not in POLICY_YEARS:
                unshipped.append(loc)
            else:
                problems.append(f"{loc}: required")
            continue
        if kind in ("too_short", "too_long"):
            if kind == "too_short" and err["loc"] in item_failed:
                continue
            ctx = err.get("ctx", {})
            if kind == "too_short":
                n, bound = ctx.get("min_length"), "at least"
            else:
                n, bound = ctx.get("max_length"), "at most"
            unit = "item" if n == 1 else "items"
            count = ctx.get("actual_length")
            problems.append(f"{loc}: must have {bound} {n} {unit}; got {count}")
            continue
        if kind == "value_error":
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(msg if not loc or msg.startswith(loc) else f"{loc}: {msg}")
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        msg = msg.replace("Input should be", "must be")
        # In a file's words, not Python's: a TOML array, a table.
        msg = msg.replace(
            "must be a valid tuple", "must be a list of numbers (such as [0.03, 0.1])"
        )
        msg = re.sub(
            r"must be a valid dictionary or instance of \w+",
            "must be a table of keys ([section] in a file)",
            msg,
        )
        for words, symbol in _COMPARISONS:
            msg = msg.replace(words, symbol)
        if (
            kind in ("less_than_equal", "less_than")
            and _RATE_KEYS.search(loc)
            and not hinted
        ):
            msg += " (rates and shares are fractions: 0.2 = 20 %)"
            hinted = True
        # The whole input's problem ("x" for a scenario) names its value too.
        prefix = f"{loc}: " if loc else ""
        problems.append(f"{prefix}{msg}; got {quoted(got)}")
    if unshipped:
        problems.append(
            f"no status quo is shipped for {year} (available {POLICY_YEARS[0]}–"
            f"{POLICY_YEARS[-1]}), so the scenario must give every field; missing: "
            + ", ".join(unshipped)
        )
    shown = [p if isinstance(p, str) else p() for p in problems[:SHOWN_PROBLEMS]]
    # Those after the shown ones are only counted.
    tail = cast("list[str]", problems[SHOWN_PROBLEMS:])
    return f"{source}: " + joined_problems(shown + tail)
