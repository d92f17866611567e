"""Your own objective with gdfast's machinery: Poisson regression by gdfast.minimize.

Poisson regression is not a built-in loss: write its mean loss and gradient in
NumPy, and gdfast batches the data, runs the schedule and the update rule
(here Adam) and decides when to stop.

Run: python examples/05_custom_objective_minimize.py
"""

import numpy as np

import gdfast

rng = np.random.default_rng(0)
n, d = 20_000, 5
X = np.column_stack([rng.normal(size=(n, d)) * 0.5, np.ones(n)])  # last column: intercept
w_true = np.array([0.8, -0.5, 0.3, 0.0, 0.2, 1.0])
y = rng.poisson(np.exp(X @ w_true))


def poisson(w, Xb, yb):
    """The mean negative Poisson log-likelihood of the batch (up to a constant)."""
    z = Xb @ w
    mu = np.exp(z)
    return np.mean(mu - yb * z), Xb.T @ (mu - yb) / len(yb)


res = gdfast.minimize(
    poisson,
    np.zeros(X.shape[1]),
    X,
    y,
    method="minibatch",
    batch_size=256,
    optimizer="adam",
    eta0=0.01,
    max_iter=100,
    random_state=0,
)
print(res)
print("true     :", w_true)
print("estimated:", res.coef.round(2))
assert np.abs(res.coef - w_true).max() < 0.1
try:
    ax = res.plot(logy=False)
except ImportError as exc:
    print(f"no plot: {exc}")
else:
    ax.figure.savefig("poisson.png")
    print("wrote poisson.png")
