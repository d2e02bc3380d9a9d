"""Item-to-item co-occurrence with lift, on member baskets.

A basket is one member's distinct items over the window (not one order: a
cafe order is mostly one drink, so orders alone say little about what goes
with what; a member's half-year says what the same person buys). For items
X and Y over N baskets:

    lift(X, Y) = N * n(X and Y) / (n(X) * n(Y))

1 means buying X says nothing about Y; 2 means people with X have Y twice
as often as everyone else. A pair seen in fewer than `min_pair` baskets gets
no lift at all, so a handful of people never decide what others are shown
(and no one's own history shows through).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

Matrix = NDArray[np.float64]


def baskets_matrix(rows: NDArray[np.intp], cols: NDArray[np.intp], *, shape: tuple[int, int]) -> sparse.csr_matrix:
    """Members × items, 1 where the member bought the item (any number of times)."""
    ones = np.ones(len(rows), dtype=np.float64)
    matrix = sparse.csr_matrix((ones, (rows, cols)), shape=shape)
    matrix.data[:] = 1.0  # repeated (member, item) pairs were summed: back to "bought"
    return matrix


def co_occurrence(baskets: sparse.csr_matrix) -> Matrix:
    """Items × items: in how many baskets both are (the diagonal: each alone)."""
    return np.asarray((baskets.T @ baskets).todense(), dtype=np.float64)


def item_lift(baskets: sparse.csr_matrix, *, min_pair: int = 1, together: Matrix | None = None) -> Matrix:
    """Items × items lift (the diagonal, and pairs seen in fewer than
    `min_pair` baskets, are 0). Pass `together` if already counted."""
    n = baskets.shape[0]
    together = co_occurrence(baskets) if together is None else together
    alone = np.diag(together).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = n * together / np.outer(alone, alone)
    lift[~np.isfinite(lift)] = 0.0
    lift[together < min_pair] = 0.0
    np.fill_diagonal(lift, 0.0)
    return lift


def like_scores(baskets: sparse.csr_matrix, lift: Matrix) -> Matrix:
    """Each member's score for each item: the mean over the items they buy of
    how much more likely than chance the item goes with it (lift above 1,
    none below); items they already buy score 0."""
    excess = np.maximum(lift - 1.0, 0.0)
    sizes = np.asarray(baskets.sum(axis=1)).ravel()
    scores = np.asarray(baskets @ excess, dtype=np.float64) / np.maximum(sizes, 1.0)[:, None]
    bought = baskets.nonzero()
    scores[bought] = 0.0
    return scores


def top_items(scores: Matrix, k: int) -> tuple[NDArray[np.intp], Matrix]:
    """The k best-scoring items per row, best first, and their scores."""
    k = min(k, scores.shape[1])
    if k == 0:
        return np.empty((scores.shape[0], 0), dtype=np.intp), np.empty((scores.shape[0], 0))
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    chosen = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-chosen, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(chosen, order, axis=1)
