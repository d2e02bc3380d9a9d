"""The CLV models' mathematics, on numpy arrays (no database here).

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
while alive, a member visits as a Poisson process with rate λ ~ Gamma(r, α);
after each visit they leave for good with probability p ~ Beta(a, b). Per
member: x repeat visits (visits after the first), t_x the time of the last
visit and T the time of observation, both measured from the first visit, in
WEEKS (the unit of the published CDNOW example, so its parameters read the
same here).

Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): a member's visits
cost, on average, amounts drawn around their own mean ν; spends ~ Gamma(p, ν)
with ν ~ Gamma(q, γ). Fit on members with at least one repeat visit, from
their number of visits and mean spend.

Both are fitted by maximum likelihood (scipy.optimize.minimize on the log of
each parameter, so every parameter stays positive).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

Array = NDArray[np.float64]


class FitFailed(ValueError):
    """The optimiser found no finite maximum (too little or degenerate data)."""


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float

    def log_likelihood(self, x: Array, t_x: Array, T: Array) -> Array:
        """Each member's log-likelihood (the paper's equation 6, in logs)."""
        return _bgnbd_ll(np.array([self.r, self.alpha, self.a, self.b]), x, t_x, T)

    def p_alive(self, x: Array, t_x: Array, T: Array) -> Array:
        """P(still a customer at T | x, t_x, T) (the paper's equation 11).
        A member with no repeat visit has never had a chance to leave: 1."""
        return 1.0 / (1.0 + self._odds_gone(x, t_x, T))

    def _odds_gone(self, x: Array, t_x: Array, T: Array) -> Array:
        """The odds a member has left rather than stayed; 0 without a repeat
        visit. Worked out only where x > 0: for a one-visit member against a
        fit with a tiny α the exponential overflows, and 0·∞ would be NaN."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, T)))
        odds = np.zeros(x.shape)
        repeat = x > 0
        xr = x[repeat]
        growth = (r + xr) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat]))
        with np.errstate(over="ignore"):  # ∞ odds: surely gone, p_alive 0
            odds[repeat] = a / (b + xr - 1) * np.exp(growth)
        return odds

    def expected_visits(self, t: float, x: Array, t_x: Array, T: Array) -> Array:
        """Expected visits in the next `t` weeks (the paper's equation 10).

        Its 2F1(r+x, b+x; a+b+x-1; z) grows like (1-z)^-(r+x) and overflows
        for a card with a few thousand visits (a shared office card); Euler's transformation
        turns ((α+T)/(α+T+t))^(r+x)·2F1(...) into
        (1-z)^(a-1)·2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters stay small
        unless a itself is large. A fit can run far along the ridge where a and
        b grow together (their ratio is what the data pins down); then
        (1-z)^(a-1) underflows while that 2F1 overflows, and 0·∞ is NaN, so
        those members take the untransformed form, which is finite there.
        """
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            euler = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
            direct = (1 - z) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        tail = np.where(np.isfinite(euler), euler, direct)
        numerator = (a + b + x - 1) / (a - 1) * (1 - tail)
        return numerator / (1 + self._odds_gone(x, t_x, T))


def _bgnbd_ll(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    r, alpha, a, b = params
    common = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x)
        - gammaln(b)
        - gammaln(a + b + x)
    )
    stayed = -(r + x) * np.log(alpha + T)
    # Left right after the last visit: only possible once there was a repeat visit.
    safe_x = np.maximum(x, 1)
    left = np.where(x > 0, np.log(a) - np.log(b + safe_x - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return common + np.logaddexp(stayed, left)


def bgnbd_fit(x: Array, t_x: Array, T: Array, *, start: BgNbd | None = None) -> BgNbd:
    """Maximum-likelihood r, α, a, b. Raises FitFailed if none is found."""
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    if x.size == 0 or not (x > 0).any():
        raise FitFailed("BG/NBD needs members with repeat visits")
    scale = max(float(T.max()), 1.0)  # α is in weeks; fit on unit-scale times and scale back
    guess = start or BgNbd(r=1.0, alpha=1.0 * scale, a=1.0, b=1.0)
    start_log = np.log([guess.r, guess.alpha / scale, guess.a, guess.b])

    def negative(log_params: Array) -> float:
        return -float(_bgnbd_ll(np.exp(log_params), x, t_x / scale, T / scale).sum())

    result = minimize(negative, start_log, method="L-BFGS-B", bounds=[(-10.0, 10.0)] * 4)
    if not np.isfinite(result.fun):
        raise FitFailed(result.message)
    r, alpha, a, b = np.exp(result.x)
    return BgNbd(r=float(r), alpha=float(alpha * scale), a=float(a), b=float(b))


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    v: float  # the paper's γ

    def expected_spend(self, visits: Array, mean_spend: Array) -> Array:
        """E[mean spend per visit | n visits averaging m̄] (the paper's
        equation 5): a weighted average of the population mean p·γ/(q-1)
        and the member's own mean, the weight growing with n."""
        p, q, v = self.p, self.q, self.v
        if q <= 1:
            # The population mean p·γ/(q-1) is infinite (a fit on a handful
            # of members can land there): the member's own mean is all we know.
            return mean_spend
        weight = p * visits / (p * visits + q - 1)
        return (1 - weight) * (v * p / (q - 1)) + weight * mean_spend

    def population_mean(self) -> float:
        return self.v * self.p / (self.q - 1)

    def log_likelihood(self, visits: Array, mean_spend: Array) -> Array:
        """Each member's log-likelihood of their mean spend over `visits` visits."""
        return _gg_ll(np.array([self.p, self.q, self.v]), visits, mean_spend)


def _gg_ll(params: Array, n: Array, m: Array) -> Array:
    p, q, v = params
    return (
        gammaln(p * n + q)
        - gammaln(p * n)
        - gammaln(q)
        + q * np.log(v)
        + (p * n - 1) * np.log(m)
        + p * n * np.log(n)
        - (p * n + q) * np.log(v + n * m)
    )


def gamma_gamma_fit(visits: Array, mean_spend: Array) -> GammaGamma:
    """Maximum-likelihood p, q, γ from members' visit counts and mean spend
    (members with a zero mean cannot be fitted and are left out)."""
    n, m = np.asarray(visits, dtype=np.float64), np.asarray(mean_spend, dtype=np.float64)
    keep = (n > 0) & (m > 0)
    n, m = n[keep], m[keep]
    if n.size < 2:
        raise FitFailed("Gamma-Gamma needs members with spend")
    scale = float(np.median(m))  # fit on unit-scale amounts (minor units run to thousands)

    def negative(log_params: Array) -> float:
        return -float(_gg_ll(np.exp(log_params), n, m / scale).sum())

    # q > 1 for the mean spend to exist: start well above it.
    result = minimize(negative, np.log([2.0, 3.0, 2.0]), method="L-BFGS-B", bounds=[(-10.0, 10.0)] * 3)
    p, q, v = np.exp(result.x)
    if not np.isfinite(result.fun) or q <= 1:
        raise FitFailed(result.message)
    return GammaGamma(p=float(p), q=float(q), v=float(v * scale))
