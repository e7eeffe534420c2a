"""Small data sets for the training chapter: made or shipped by scikit-learn, fixed seeds.

Every function returns a :class:`Split` of float32 features (and float32 targets for
regression and binary classification, integer class labels for digits), so the same
seed always gives the same numbers in the notebook and in the grader.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.datasets import load_digits, make_circles, make_regression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


class Split(NamedTuple):
    """A training half and a held-out half of a data set."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def line_data(
    w: float = 0.1, b: float = 0.3, n: int = 100, noise: float = 0.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Points on the line y = w·x + b (plus optional Gaussian noise), x uniform on [0, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=n)
    y = w * x + b + noise * rng.normal(size=n)
    return x.astype(np.float32), y.astype(np.float32)


def _halves(x: np.ndarray, y: np.ndarray) -> Split:
    half = len(x) // 2
    return Split(x[:half], y[:half], x[half:], y[half:])


def regression_data(
    n_features: int = 20, n_informative: int | None = None, n_samples: int = 1000, seed: int = 1
) -> Split:
    """``make_regression`` (half the features informative by default), standardised, halved.

    Features and target are standardised with statistics of the training half only;
    targets have shape (n, 1), like the output of a ``Dense(1)`` layer.
    """
    x, y = make_regression(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative or max(1, n_features // 2),
        noise=0.1,
        random_state=seed,
    )
    split = _halves(x, y.reshape(-1, 1))
    x_scaler = StandardScaler().fit(split.x_train)
    y_scaler = StandardScaler().fit(split.y_train)
    return Split(
        *(
            scaler.transform(part).astype(np.float32)
            for scaler, part in zip([x_scaler, y_scaler] * 2, split, strict=True)
        )
    )


def circles_data(n_samples: int = 1000, noise: float = 0.1, seed: int = 1) -> Split:
    """``make_circles``: two noisy concentric circles, label 1 for the inner one; halved.

    Labels are float32 of shape (n, 1) with values 0 and 1.
    """
    x, y = make_circles(n_samples=n_samples, noise=noise, random_state=seed)
    return _halves(x.astype(np.float32), y.reshape(-1, 1).astype(np.float32))


def digits_data(seed: int = 0, test_size: float = 0.25) -> Split:
    """scikit-learn's 8x8 digits as 64 features scaled to [0, 1], stratified split.

    Labels are the integer classes 0-9 (for a sparse categorical cross-entropy).
    """
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=test_size, random_state=seed, stratify=digits.target
    )
    return Split(x_train, y_train, x_test, y_test)
