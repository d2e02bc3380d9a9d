"""The statistics of an A/B test on came-back rates, in one small place.

- A group's rate gets a Wilson score interval (well behaved for small groups
  and for rates near 0 % or 100 %, where the textbook ± 1.96·SE is not).
- Two groups are compared with the two-proportion z-test: the pooled rate
  gives the standard error under "no difference", z = difference / SE and the
  two-sided p-value is 2·(1 − Φ(|z|)). The interval of the difference uses the
  unpooled standard error (Wald), as textbooks report it beside the test.
scipy gives Φ and its inverse; the arithmetic is here, so a test can check it
against a hand-computed example, and a property test checks it against
scipy's own chi-square test (χ² = z²) and binomtest's Wilson interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def _z(confidence: float) -> float:
    return float(norm.ppf(1 - (1 - confidence) / 2))


def proportion_interval(*, converted: int, members: int, confidence: float = 0.95) -> Interval | None:
    """Wilson score interval of converted ÷ members; None for an empty group."""
    if members <= 0:
        return None
    z = _z(confidence)
    rate = converted / members
    denominator = 1 + z * z / members
    centre = (rate + z * z / (2 * members)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / members + z * z / (4 * members * members)) / denominator
    return Interval(low=max(centre - half, 0.0), high=min(centre + half, 1.0))


@dataclass(frozen=True)
class ProportionTest:
    difference: float  # rate a − rate b
    interval: Interval  # of the difference
    z: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.p_value < SIGNIFICANCE


def two_proportion_z_test(
    *, converted_a: int, members_a: int, converted_b: int, members_b: int, confidence: float = 0.95
) -> ProportionTest | None:
    """Is a's rate different from b's? None when a group is empty."""
    if members_a <= 0 or members_b <= 0:
        return None
    rate_a, rate_b = converted_a / members_a, converted_b / members_b
    difference = rate_a - rate_b
    pooled = (converted_a + converted_b) / (members_a + members_b)
    pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / members_a + 1 / members_b))
    # Both groups all-converted or none-converted: nothing tells them apart.
    z = difference / pooled_se if pooled_se else 0.0
    p_value = float(2 * norm.sf(abs(z)))
    half = _z(confidence) * math.sqrt(rate_a * (1 - rate_a) / members_a + rate_b * (1 - rate_b) / members_b)
    return ProportionTest(
        difference=difference, interval=Interval(difference - half, difference + half), z=z, p_value=p_value
    )


# --- What an offer brought, from its holdout ---------------------------------------


def incremental_visits(
    *, treated_members: int, treated_visits: int, holdout_members: int, holdout_visits: int
) -> float | None:
    """The visits an offer brought that would not have happened anyway:
    (treated visits per member − holdout visits per member) × treated members.
    The one home of that arithmetic: a campaign counts a member's coming back
    within its conversion days as their visit (so its rate is a came-back
    rate), a promotion counts every visit in its period. None without a
    holdout or with no one treated: it cannot be known."""
    if treated_members <= 0 or holdout_members <= 0:
        return None
    return (treated_visits / treated_members - holdout_visits / holdout_members) * treated_members


def cost_per_incremental_visit(*, cost: int, incremental: float | None) -> int | None:
    """Minor units per visit brought; None when there is no positive uplift to divide by."""
    return round(cost / incremental) if incremental is not None and incremental > 0 else None
