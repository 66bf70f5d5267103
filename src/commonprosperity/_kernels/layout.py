"""Positions of the scalar policy parameters in the kernels' parameter vector.

`Scenario.as_arrays()` fills a float64 vector in this order; the kernels read it by
these module constants, so the order is defined once.
"""

GROWTH_RATE = 0
MINIMUM_WAGE_TIER1 = 1  # annual yuan (12 x monthly); tiers 2 and 3 follow
CONTRIBUTION_RATE = 4  # sum of the four employee rates
BASE_FLOOR = 5  # annual yuan
BASE_CEILING = 6  # annual yuan
BASIC_DEDUCTION = 7  # annual yuan
CHILD_EDUCATION = 8  # annual yuan per child aged 3-17
INFANT_CARE = 9  # annual yuan per child under 3
ELDERLY_SUPPORT = 10  # annual yuan per claimant
ELDERLY_SUPPORT_SHARE = 11
PROPERTY_RATE = 12
TAXABLE_PROPERTY_SHARE = 13
DIBAO_LINE = 14  # annual yuan per person
DIBAO_TAKE_UP = 15
RESIDENTS_PENSION = 16  # annual yuan per person
CHILD_ALLOWANCE = 17  # annual yuan per child
CHILD_ALLOWANCE_MAX_AGE = 18
SCHEDULE_CONVEX = 19  # 1.0 when the comprehensive rates never decrease
BUSINESS_SCHEDULE_CONVEX = 20  # 1.0 when the business rates never decrease
N_PARAMS = 21
