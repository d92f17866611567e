"""Quick start: fit a linear model by mini-batch gradient descent and plot its cost.

Run: python examples/01_quickstart.py   (the plot needs: pip install "gdfast[plot]")
"""

import numpy as np

import gdfast
from gdfast.datasets import load_houses

# 10,000 houses, 6 features, the price in thousands; standardised features
# let one learning rate suit every coefficient.
X, y, names = load_houses()
X = (X - X.mean(axis=0)) / X.std(axis=0)

res = gdfast.fit(X, y, method="minibatch", batch_size=32, eta0=0.05, random_state=0)
print(res)
for name, coef in zip(names, res.coef):
    print(f"  {name:<12} {coef:9.3f}")
print(f"  {'intercept':<12} {float(res.intercept):9.3f}")

# the best possible loss, by least squares, for comparison
design = np.column_stack([X, np.ones(len(y))])
exact = np.linalg.lstsq(design, y, rcond=None)[0]
optimum = 0.5 * np.mean((design @ exact - y) ** 2)
print(f"final epoch's loss {res.loss_history[-1]:.2f}; least-squares optimum {optimum:.2f}")
print("predictions for the first 3 houses:", res.predict(X[:3]).round(1), "actual:", y[:3])

try:
    ax = res.plot(logy=True)  # the cost per epoch: it must fall
except ImportError as exc:
    print(f"no plot: {exc}")
else:
    ax.figure.savefig("quickstart.png")
    print("wrote quickstart.png")
