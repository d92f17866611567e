"""The classic advice: if the cost does not fall, lower the learning rate.

gdfast.sweep fits one model per learning rate (in threads), keeps the ones
that diverged, and plots all the cost curves on one chart.

Run: python examples/03_learning_rate_sweep.py   (the plot needs matplotlib)
"""

import warnings

import gdfast
from gdfast.datasets import load_houses

X, y, names = load_houses()
X = (X - X.mean(axis=0)) / X.std(axis=0)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # the table says which ones diverged
    sweep = gdfast.sweep(
        X, y, eta0=[1.0, 0.1, 0.01, 0.001, 0.0001], method="sgd", max_iter=30, random_state=0
    )
print(sweep.table())
print(f"best learning rate: {sweep.best_eta0}, diverged: {sweep.diverged}")

try:
    ax = sweep.plot()  # log loss axis; diverged curves end in an 'x'
except ImportError as exc:
    print(f"no plot: {exc}")
else:
    ax.figure.savefig("sweep.png")
    print("wrote sweep.png")

# SGD's per-update loss is noisy: the mean of the last 100 or 1,000 updates shows the trend
res = gdfast.fit(
    X, y, method="sgd", eta0=0.001, max_iter=3, tol=None, record_updates=True, random_state=0
)
print("mean loss of the last 1,000 updates:", res.moving_average(1000)[-1].round(2))
try:
    ax = res.plot(x="update", window=1000, logy=True)
except ImportError:
    pass
else:
    ax.figure.savefig("sgd_updates.png")
    print("wrote sgd_updates.png")
