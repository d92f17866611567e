"""Data shipped with gdfast."""

from __future__ import annotations

from importlib import resources

import numpy as np


def load_houses() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Load the demo housing table shipped with gdfast (10,000 rows, 6 features).

    A synthetic, seeded table (``scripts/make_demo_data.py`` regenerates it) whose
    price is linear in the features plus noise, so least squares is the right
    model and its optimum is known exactly.

    Returns
    -------
    X : ndarray of shape (10000, 6)
        area_m2, rooms, age_years, distance_km, floor, garden (0/1).
    y : ndarray of shape (10000,)
        price_k, the price in thousands.
    feature_names : list of str

    Examples
    --------
    >>> from gdfast.datasets import load_houses
    >>> X, y, names = load_houses()
    >>> X.shape, names[0]
    ((10000, 6), 'area_m2')
    """
    with resources.files("gdfast").joinpath("data/houses.csv").open("r") as handle:
        header = handle.readline().strip().split(",")
        table = np.loadtxt(handle, delimiter=",")
    return np.ascontiguousarray(table[:, :-1]), table[:, -1].copy(), header[:-1]
