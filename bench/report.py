"""Race gdfast against its peers on the standard workloads and write BENCHMARKS.md.

    python bench/report.py             # everything: about 6 minutes on the 2-core machine
    python bench/report.py --quick     # smoke: 5% of the rows, 2 rounds, files in build/bench/
    python bench/report.py --only W7   # some sections only: a partial report in build/bench/

Runs W1-W7 of DESIGN.md with ``time.perf_counter`` (the median of ``--rounds`` runs after
one warm-up run; slow peers race fewer rounds or a subset, see the tables), the scaling
series (threads, n, d), the machine's streaming read bandwidth (``bench/bandwidth.c``,
compiled with gcc; NumPy's ``X.sum()`` without it), W7's GFLOP/s against the cores'
multiply-add peak (``bench/fma_peak.c``) and the per-epoch Python overhead on tiny data.
Writes the markdown report (``--out``, default ``BENCHMARKS.md`` at the repo root), a bar
chart of the speed-ups against their targets (``--png``, default ``bench/benchmarks.png``)
and optionally every number as JSON (``--json``).

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, set on some machines for old OpenBLAS builds, slow
a current NumPy down: this script re-runs itself without them (in its own process only) and
records the BLAS kernel threadpoolctl reports.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _rerun_without_openblas_overrides() -> None:
    removed = [name for name in OPENBLAS_VARS if name in os.environ]
    if removed:
        env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
        env["GDFAST_REPORT_UNSET"] = ",".join(f"{k}={os.environ[k]}" for k in removed)
        os.execve(sys.executable, [sys.executable, *sys.argv], env)


# ---------------------------------------------------------------------------------------------
# results


@dataclass
class Entry:
    """One contestant of one workload."""

    name: str
    samples: int  # sample visits of one run (rows x epochs)
    times: list[float]
    loss: float | None = None  # final training loss
    gdfast_loss: float | None = None  # gdfast's loss on the same rows (subset peers)
    note: str = ""
    is_gdfast: bool = False
    accuracy: float | None = None  # training accuracy (W7's networks), in place of the loss
    rivals: list[str] = field(default_factory=list)  # the gdfast entries it is compared to
    tag: str = ""  # a gdfast entry's name in its rivals' speed-up cells (default: the name)

    @property
    def median(self) -> float:
        return median(self.times)

    @property
    def rate(self) -> float:
        return self.samples / self.median


@dataclass
class Target:
    label: str
    measured: float
    target: float
    unit: str = "x"  # "x": a ratio, higher is better; "us": lower is better
    chart: bool = True
    short: str = ""  # the label in the chart
    ceiling: float | None = None  # the same ratio for the plain C loop of bench/sgd_ceiling.c

    @property
    def met(self) -> bool:
        return self.measured <= self.target if self.unit == "us" else self.measured >= self.target


@dataclass
class Report:
    quick: bool
    rounds: int
    only: list[str] = field(default_factory=list)  # the sections run (--only); [] = all
    machine: dict[str, str] = field(default_factory=dict)
    workloads: dict[str, list[Entry]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    quality: list[tuple[str, str, str, float, float, bool]] = field(default_factory=list)
    accuracy: list[tuple[str, str, str, float, float, bool]] = field(default_factory=list)
    diagnostics: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    tables: dict[str, tuple[list[str], list[list[str]]]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)  # quoted by the limits section


def threads(count: int) -> str:
    return f"{count} thread{'s' if count > 1 else ''}"


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# measuring


@dataclass
class Run:
    """One contestant before it is timed."""

    name: str
    fn: Callable[[], Any]
    samples: int
    loss_of: Callable[[Any], float] | None = None
    is_gdfast: bool = False
    accuracy_of: Callable[[Any], float] | None = None


# Seconds of sleep before each timed run: the worker threads of the previous contestant
# (OpenBLAS, libgomp, torch) spin for up to ~0.1 s after their last job, and would otherwise
# take a core from the next one.
SETTLE = 0.25


def median(times: list[float]) -> float:
    ordered = sorted(times)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


class Bench:
    """The workloads, raced one after the other into a :class:`Report`.

    The contestants of a workload whose runs take about a second or less race round-robin
    (one warm-up run of each, then ``rounds`` rounds in which each runs once): the speed of
    a shared machine drifts by 2x within minutes, and a ratio of times taken side by side
    is fair where one of times taken a minute apart is not. Slow peers run on their own.
    """

    def __init__(self, report: Report) -> None:
        import workloads

        import gdfast

        self.w = workloads
        self.report = report
        self.rounds = report.rounds
        self.threads = gdfast.get_num_threads()
        self.thread_counts = sorted({1, 2, os.cpu_count() or 1, self.threads})

    def parallelism(self) -> float:
        """Cores' worth of compute that concurrent processes get now (median of 3 probes)."""
        most = max(self.thread_counts)
        return sorted(self.w.cpu_parallelism(most) for _ in range(3))[1]

    def round_robin(
        self, fns: dict[Any, Callable[[], Any]], rounds: int | None = None
    ) -> dict[Any, tuple[list[float], Any]]:
        """Times of ``rounds`` rounds (default ``self.rounds``) of every function (after one
        warm-up call of each)."""
        results = {key: fn() for key, fn in fns.items()}
        times: dict[Any, list[float]] = {key: [] for key in fns}
        for _ in range(self.rounds if rounds is None else rounds):
            for key, fn in fns.items():
                time.sleep(SETTLE)
                start = time.perf_counter()
                results[key] = fn()
                times[key].append(time.perf_counter() - start)
        return {key: (times[key], results[key]) for key in fns}

    def _record(self, workload: str, run: Run, times: list[float], result: Any, note: str) -> Entry:
        entry = Entry(run.name, run.samples, times, note=note, is_gdfast=run.is_gdfast)
        if run.loss_of is not None:
            entry.loss = run.loss_of(result)
        if run.accuracy_of is not None:
            entry.accuracy = run.accuracy_of(result)
        self.report.workloads.setdefault(workload, []).append(entry)
        log(f"  {workload:<11} {run.name:<44} {entry.rate / 1e6:9.3f} M samples/s")
        return entry

    def race(self, workload: str, *runs: Run) -> tuple[Entry, ...]:
        """Time the runs round-robin and record them."""
        timed = self.round_robin({run.name: run.fn for run in runs})
        return tuple(self._record(workload, r, *timed[r.name], note="") for r in runs)

    def solo(self, workload: str, run: Run, rounds: int, warmup: int, note: str = "") -> Entry:
        """Time a slow peer on its own: ``rounds`` runs after ``warmup`` runs."""
        time.sleep(SETTLE)
        _, times, result = self.w.time_call(run.fn, rounds, warmup)
        return self._record(workload, run, times, result, note)

    def check(self, workload: str, gdfast_loss: float, peer: Entry, who: str = "gdfast") -> None:
        """gdfast's final training loss within 1% of the peer's (or lower)."""
        assert peer.loss is not None
        peer.gdfast_loss = gdfast_loss
        ok = gdfast_loss <= self.w.QUALITY_TOLERANCE * peer.loss
        self.report.quality.append((workload, who, peer.name, gdfast_loss, peer.loss, ok))

    def check_accuracy(self, workload: str, fast: Entry, peer: Entry) -> None:
        """W7, at equal training accuracy: gdfast's at least the peer's minus 0.01."""
        assert fast.accuracy is not None and peer.accuracy is not None
        ok = fast.accuracy >= peer.accuracy - self.w.ACCURACY_TOLERANCE
        self.report.accuracy.append(
            (workload, fast.name, peer.name, fast.accuracy, peer.accuracy, ok)
        )

    def ratio(
        self,
        label: str,
        fast: Entry,
        slow: Entry,
        target: float,
        short: str = "",
        chart: bool = True,
    ) -> None:
        self.report.targets.append(
            Target(label, fast.rate / slow.rate, target, chart=chart, short=short)
        )

    def diagnose(self, workload: str, what: str, value: str) -> None:
        self.report.diagnostics.setdefault(workload, []).append((what, value))
        log(f"  {workload:<11} diagnostic: {what}: {value}")

    def variants(
        self,
        workload: str,
        base: Callable[[], Any],
        samples: int,
        changes: dict[str, Callable[[], Any]],
    ) -> None:
        """Diagnostics: runs with one thing changed (gdfast's, or the plain C loop's), raced
        round-robin with gdfast's run as the workload defines it; reported as samples/s and
        the ratio to that run."""
        timed = self.round_robin({"": base, **changes})
        base_rate = samples / median(timed[""][0])
        for label in changes:
            rate = samples / median(timed[label][0])
            self.report.figures[f"{workload}: {label}"] = rate / base_rate
            self.diagnose(
                workload, label,
                f"{rate / 1e6:.2f} M samples/s = {rate / base_rate:.2f}x the {workload} run "
                f"({base_rate / 1e6:.2f} M samples/s in the same rounds)",
            )  # fmt: skip

    def reference_subset(
        self, workload: str, X: Any, y: Any, params: dict[str, Any], loss_fn: Callable[..., float]
    ) -> None:
        """The per-sample NumPy loop on the first rows only; quality against gdfast there."""
        w = self.w
        m = min(w.REFERENCE_SUBSET[workload], X.shape[0])
        Xs, ys = X[:m], y[:m]
        rounds = min(self.rounds, 3)
        ref = self.solo(
            workload,
            Run("gdfast.reference (NumPy loop)", lambda: w.reference_fit(Xs, ys, params),
                m * params["max_iter"], lambda r: loss_fn(Xs, ys, r.coef, r.intercept)),
            rounds=rounds, warmup=0, note=f"first {m:,} rows, {rounds} runs",
        )  # fmt: skip
        sub = w.gdfast_fit(Xs, ys, params)
        self.check(workload, loss_fn(Xs, ys, sub.coef, sub.intercept), ref, f"gdfast, {m:,} rows")

    # -----------------------------------------------------------------------------------------

    def dense_sgd(
        self, name: str, spec: dict[str, Any], target: float, float32: bool = False
    ) -> None:
        """W1, W2, W3: gdfast against SGDRegressor and the NumPy loop (on a subset)."""
        w = self.w
        X, y = w.make_regression(w.rows(spec["n"]), spec["d"])
        params = spec["params"]
        samples = X.shape[0] * params["max_iter"]

        def loss(res: Any) -> float:
            return w.squared_loss(X, y, res.coef, res.intercept)

        def sk_loss(model: Any) -> float:
            return w.squared_loss(X, y, model.coef_, model.intercept_)

        runs = [
            Run("gdfast float64", lambda: w.gdfast_fit(X, y, params), samples, loss, True),
            Run("scikit-learn SGDRegressor float64",
                lambda: w.sklearn_regressor_fit(X, y, params), samples, sk_loss),
        ]  # fmt: skip
        X32, y32 = (X.astype("float32"), y.astype("float32")) if float32 else (X, y)
        if float32:
            runs += [
                Run("gdfast float32", lambda: w.gdfast_fit(X32, y32, params), samples, loss, True),
                Run("scikit-learn SGDRegressor float32",
                    lambda: w.sklearn_regressor_fit(X32, y32, params), samples, sk_loss),
            ]  # fmt: skip
        c64 = w.c_sgd_epochs(X, y, params)
        c32 = w.c_sgd_epochs(X32, y32, params) if float32 else None

        def c_loss(coef_intercept: Any) -> float:
            return w.squared_loss(X, y, *coef_intercept)

        ceiling = "plain C loop{}, prefetch 8 (the machine's ceiling, not a peer)"
        if c64 is not None:
            runs.append(Run(ceiling.format(" float64"), lambda: c64(True, 8), samples, c_loss))
        if c32 is not None:
            runs.append(Run(ceiling.format(" float32"), lambda: c32(True, 8), samples, c_loss))
        entries = {e.name: e for e in self.race(name, *runs)}
        fast, sk = entries["gdfast float64"], entries["scikit-learn SGDRegressor float64"]
        c_fast = entries.get(ceiling.format(" float64"))
        assert fast.loss is not None
        self.check(name, fast.loss, sk, fast.name)
        self.ratio(f"{name} float64: gdfast / SGDRegressor", fast, sk, target,
                   f"{name}{' f64' if float32 else ''}\nvs sklearn")  # fmt: skip
        if c_fast is not None:
            self.report.targets[-1].ceiling = c_fast.rate / sk.rate
        changes = {
            "gdfast float64, rows in order (shuffle=False: no random gather)":
                lambda: w.gdfast_fit(X, y, params, shuffle=False),
        }  # fmt: skip
        if c64 is not None:
            changes["plain C loop float64, shuffled, no prefetch"] = lambda: c64(True, 0)
            changes["plain C loop float64, rows in order"] = lambda: c64(False, 0)
        if float32:
            fast32 = entries["gdfast float32"]
            sk32 = entries["scikit-learn SGDRegressor float32"]
            c_fast32 = entries.get(ceiling.format(" float32"))
            assert fast32.loss is not None
            self.check(name, fast32.loss, sk32, fast32.name)
            self.check(name, fast32.loss, sk, fast32.name)
            self.ratio(f"{name} float32: gdfast f32 / SGDRegressor f32", fast32, sk32, 6.0,
                       f"{name} f32\nvs sklearn f32")  # fmt: skip
            if c_fast32 is not None:
                self.report.targets[-1].ceiling = c_fast32.rate / sk32.rate
            self.ratio(
                f"{name} float32: gdfast f32 / SGDRegressor f64", fast32, sk, 6.0, chart=False
            )
            if c_fast32 is not None:
                self.report.targets[-1].ceiling = c_fast32.rate / sk.rate
            changes["gdfast float32 (shuffled)"] = lambda: w.gdfast_fit(X32, y32, params)
            changes["gdfast float32, rows in order (shuffle=False)"] = lambda: w.gdfast_fit(
                X32, y32, params, shuffle=False
            )
        self.reference_subset(name, X, y, params, w.squared_loss)
        self.variants(name, lambda: w.gdfast_fit(X, y, params), samples, changes)
        self.permutation_share(name, X.shape[0], fast)

    def permutation_share(self, workload: str, n: int, fast: Entry) -> None:
        """Python draws each epoch's permutation (NumPy Generator.permutation): its cost."""
        import numpy as np

        rng = np.random.default_rng(0)
        _, times, _ = self.w.time_call(lambda: rng.permutation(n), max(self.rounds, 5))
        per_epoch = fast.median / (fast.samples / n)
        self.report.figures[f"{workload}: permutation ms"] = 1e3 * median(times)
        self.report.figures[f"{workload}: permutation share"] = median(times) / per_epoch
        self.diagnose(
            workload, f"NumPy rng.permutation({n:,}), drawn in Python every epoch",
            f"{1e3 * median(times):.1f} ms = {median(times) / per_epoch:.0%} of a gdfast epoch",
        )  # fmt: skip

    def sparse(self) -> None:
        """W4: hinge + l2 on CSR against SGDClassifier."""
        import numpy as np

        from gdfast._validation import CsrData

        w = self.w
        name = "W4"
        spec = w.W4
        X, y = w.make_sparse_classification(w.rows(spec["n"]), spec["d"], spec["nnz"])
        params = spec["params"]
        samples = X.shape[0] * params["max_iter"]

        def loss(res: Any) -> float:
            return w.hinge_loss(X, y, res.coef, res.intercept)

        def sk_loss(model: Any) -> float:
            return w.hinge_loss(X, y, model.coef_, model.intercept_)

        fast, sk = self.race(
            name,
            Run("gdfast", lambda: w.gdfast_fit(X, y, params), samples, loss, True),
            Run("scikit-learn SGDClassifier",
                lambda: w.sklearn_classifier_fit(X, y, params), samples, sk_loss),
        )  # fmt: skip
        assert fast.loss is not None
        self.check(name, fast.loss, sk, fast.name)
        self.ratio("W4 sparse: gdfast / SGDClassifier", fast, sk, 3.0, "W4\nvs sklearn")
        self.reference_subset(name, X, y, params, w.hinge_loss)

        _, convert, _ = w.time_call(lambda: CsrData(X), self.rounds)
        res = w.gdfast_fit(X, y, params)
        epoch_times = np.diff(np.concatenate([[0.0], res.epoch_times]))
        self.diagnose(
            name, "gdfast: one-off CSR index conversion to int64 (CsrData)",
            f"{1e3 * median(convert):.1f} ms of a {1e3 * fast.median:.0f} ms "
            f"fit; epochs {', '.join(f'{1e3 * t:.0f}' for t in epoch_times)} ms",
        )  # fmt: skip
        self.variants(name, lambda: w.gdfast_fit(X, y, params), samples, {
            "gdfast, rows in order (shuffle=False)":
                lambda: w.gdfast_fit(X, y, params, shuffle=False),
            "gdfast, no penalty (penalty=None)": lambda: w.gdfast_fit(X, y, params, penalty=None),
            "gdfast, constant rate (learning_rate='constant', eta0=0.01)":
                lambda: w.gdfast_fit(X, y, params, learning_rate="constant", eta0=0.01),
        })  # fmt: skip
        timed = self.round_robin({
            "gdfast": lambda: w.gdfast_fit(X, y, params, shuffle=False),
            "sklearn": lambda: w.sklearn_classifier_fit(X, y, dict(params, shuffle=False)),
        })  # fmt: skip
        in_order = median(timed["sklearn"][0]) / median(timed["gdfast"][0])
        self.report.figures["W4: in storage order, gdfast / SGDClassifier"] = in_order
        self.diagnose(
            name, "both in storage order (shuffle=False): gdfast / SGDClassifier samples/s",
            f"{in_order:.2f}x",
        )  # fmt: skip
        # the quality gap: scikit-learn damps the intercept on sparse input only
        self.diagnose(
            name, "final hinge loss with shuffle=False (same order for both): gdfast / sklearn",
            f"{loss(timed['gdfast'][1]):.5f} / {sk_loss(timed['sklearn'][1]):.5f}",
        )  # fmt: skip
        ordered = dict(params, shuffle=False)
        Xd_small, yd_small = w.make_sparse_classification(2_000, 2_000, spec["nnz"])
        g_sparse = w.gdfast_fit(Xd_small, yd_small, ordered).coef
        s_dense = w.sklearn_classifier_fit(Xd_small.toarray(), yd_small, ordered).coef_.ravel()
        s_sparse = w.sklearn_classifier_fit(Xd_small, yd_small, ordered).coef_.ravel()
        self.diagnose(
            name, "max |coef difference| on a 2,000 x 2,000 instance, shuffle=False: "
            "gdfast CSR vs SGDClassifier dense / vs SGDClassifier CSR",
            f"{np.abs(g_sparse - s_dense).max():.1e} / {np.abs(g_sparse - s_sparse).max():.1e}"
            " (scikit-learn's SPARSE_INTERCEPT_DECAY = 0.01 applies to CSR input only)",
        )  # fmt: skip

    def minibatch_and_batch(self) -> None:
        """W5 (mini-batch 32) and W6 (batch) on W1's data: the NumPy loop and PyTorch."""
        w = self.w
        X, y = w.make_regression(w.rows(w.W1["n"]), w.W1["d"])
        n, d = X.shape
        torch = w.torch_available()
        counts = sorted({1, self.threads})

        def loss(res: Any) -> float:
            return w.squared_loss(X, y, res.coef, res.intercept)

        def torch_loss(coef_intercept: Any) -> float:
            return w.squared_loss(X, y, *coef_intercept)

        # W5: gdfast on 1 and all threads, the NumPy loop, round-robin; torch on its own
        params = w.W5["params"]
        samples = n * params["max_iter"]
        entries = self.race(
            "W5",
            *[Run(f"gdfast ({threads(c)})", lambda c=c: w.gdfast_fit(X, y, params, n_threads=c),
                  samples, loss, True) for c in reversed(counts)],
            Run("gdfast.reference (the NumPy loop)", lambda: w.reference_fit(X, y, params),
                samples, loss),
        )  # fmt: skip
        mine = dict(zip(reversed(counts), entries[:-1]))
        ref = entries[-1]
        fast = mine[self.threads]
        assert fast.loss is not None
        self.check("W5", fast.loss, ref, fast.name)
        self.ratio("W5 minibatch 32: gdfast / NumPy loop", fast, ref, 5.0, "W5\nvs NumPy")
        if torch:
            # one round each: about 4 s on 1 thread, up to a minute on 2 on a busy host
            for count in reversed(counts):
                tor = self.solo(
                    "W5",
                    Run(f"PyTorch CPU torch.optim.SGD ({threads(count)})",
                        lambda c=count: w.torch_fit(X, y, params, c), samples, torch_loss),
                    rounds=1, warmup=0, note="1 run",
                )  # fmt: skip
                loss_c = mine[count].loss
                assert loss_c is not None
                self.check("W5", loss_c, tor, mine[count].name)
                self.ratio(
                    f"W5 minibatch 32: gdfast / PyTorch CPU, {threads(count)} each",
                    mine[count], tor, 100.0, f"W5\nvs torch ({count}t)",
                    chart=count == self.threads,
                )  # fmt: skip
                steps = -(-n // params["batch_size"]) * params["max_iter"]
                for who, entry in (("PyTorch", tor), ("gdfast", mine[count])):
                    key = f"W5: {who} us a step, {threads(count)}"
                    self.report.figures[key] = 1e6 * entry.median / steps
        self.variants("W5", lambda: w.gdfast_fit(X, y, params), samples, {
            "gdfast, rows in order (shuffle=False)":
                lambda: w.gdfast_fit(X, y, params, shuffle=False),
        })  # fmt: skip

        # W6: gdfast on every thread count and the NumPy loop round-robin, torch after them
        params = w.W6["params"]
        epochs = params["max_iter"]
        samples = n * epochs
        # the read passes over the same X race beside the fits: the bandwidth they get is
        # the bandwidth of the same minutes (it drifts by 2x on a shared host)
        passes = {c: w.c_read_passes(X, epochs, c) for c in self.thread_counts}
        readers = {c: reader for c, reader in passes.items() if reader is not None}  # gcc
        reads = [
            Run(f"read pass over X, bench/bandwidth.c ({threads(c)}; the ceiling, not a peer)",
                reader, samples)
            for c, reader in readers.items()
        ]  # fmt: skip
        entries = self.race(
            "W6",
            *[Run(f"gdfast ({threads(c)})", lambda c=c: w.gdfast_fit(X, y, params, n_threads=c),
                  samples, loss, c == self.threads) for c in self.thread_counts],
            Run("gdfast.reference (the NumPy loop)", lambda: w.reference_fit(X, y, params),
                samples, loss),
            *reads,
        )  # fmt: skip
        count = len(self.thread_counts)
        by_threads = dict(zip(self.thread_counts, entries[:count]))
        ref = entries[count]
        read_by_threads = dict(zip(readers, entries[count + 1 :]))
        fast = by_threads[self.threads]
        assert fast.loss is not None
        self.check("W6", fast.loss, ref, fast.name)
        self.ratio("W6 batch: gdfast / NumPy loop", fast, ref, 2.0, "W6\nvs NumPy")
        if torch:
            tor = self.solo(
                "W6",
                Run(f"PyTorch CPU full-batch GD ({threads(self.threads)})",
                    lambda: w.torch_fit(X, y, params, self.threads), samples, torch_loss),
                rounds=self.rounds, warmup=1,
            )  # fmt: skip
            self.check("W6", fast.loss, tor, fast.name)
        if 2 in by_threads:
            self.ratio(
                "W6 batch: 2 threads / 1 thread",
                by_threads[2],
                by_threads[1],
                1.6,
                "W6\n2 / 1 thread",
            )

        # the read bandwidth of the same minutes: the read passes over X raced above, and
        # after the races a 1 GiB pass by thread count and NumPy's X.sum()
        gbs = w.c_read_bandwidth(self.thread_counts, mib=256 if self.report.quick else 1024)
        numpy_gbs = w.numpy_read_bandwidth(256 if self.report.quick else 1024)
        bytes_per_sample = d * 8 / 1e9
        rows = [[f"bench/bandwidth.c over W6's X in the W6 rounds, {threads(c)}",
                 f"{e.rate * bytes_per_sample:.1f}"]
                for c, e in read_by_threads.items()]  # fmt: skip
        rows += [[f"bench/bandwidth.c over 1 GiB after the races, {threads(t)}", f"{v:.1f}"]
                 for t, v in (gbs or {}).items()]  # fmt: skip
        rows.append(["NumPy X.sum() (1 thread)", f"{numpy_gbs:.1f}"])
        if read_by_threads:
            best = max(read_by_threads.values(), key=lambda e: e.rate)
            bandwidth = best.rate * bytes_per_sample
            source = (
                "bench/bandwidth.c's read pass over W6's own X (gcc -O3 -march=native -fopenmp), "
                "raced round-robin with the fits, median of the rounds; the best thread count"
            )
        else:
            bandwidth = numpy_gbs
            source = "NumPy X.sum() (gcc missing: one thread only)"
        epoch_bytes = {}
        for c, entry in by_threads.items():
            epoch_bytes[c] = entry.rate * bytes_per_sample
            self.report.figures[f"W6: gdfast GB/s, {threads(c)}"] = epoch_bytes[c]
        for c, entry in read_by_threads.items():
            self.report.figures[f"W6: read pass GB/s, {threads(c)}"] = entry.rate * bytes_per_sample
            share = epoch_bytes[c] / bandwidth
            rows.append([
                f"gdfast W6 epoch, {threads(c)}: n*d*8 / epoch time",
                f"{epoch_bytes[c]:.1f} ({share:.0%} of {bandwidth:.1f})",
            ])  # fmt: skip
        self.report.tables["bandwidth"] = (["read pass", "GB/s"], rows)
        self.report.notes["bandwidth"] = (
            f"Streaming read bandwidth: {bandwidth:.1f} GB/s ({source})."
        )
        self.report.targets.append(
            Target(
                "W6 epoch bytes/s / read bandwidth",
                epoch_bytes[self.threads] / bandwidth,
                0.8,
                short="W6 bytes/s\nvs bandwidth",
            )
        )
        if 2 in by_threads:
            for policy in ("active", "passive"):
                ratio = w.w6_thread_ratio_with({"OMP_WAIT_POLICY": policy}, self.rounds)
                self.diagnose(
                    "W6", f"2 threads / 1 thread in a fresh process with OMP_WAIT_POLICY={policy}",
                    f"{ratio:.2f}x",
                )  # fmt: skip

        # thread scaling: W6 (above) and W5 with batch_size=1000
        mb = dict(w.W5["params"], batch_size=1000)
        timed = self.round_robin(
            {c: lambda c=c: w.gdfast_fit(X, y, mb, n_threads=c) for c in self.thread_counts}
        )
        mb_rates = {c: n * 3 / median(t) for c, (t, _) in timed.items()}
        rows = []
        for c in self.thread_counts:
            b, m_ = by_threads[c].rate, mb_rates[c]
            rows.append([str(c), f"{b / 1e6:.2f}", f"{b / by_threads[1].rate:.2f}x",
                         f"{m_ / 1e6:.2f}", f"{m_ / mb_rates[1]:.2f}x"])  # fmt: skip
        most = max(self.thread_counts)
        cores = self.parallelism()
        self.report.figures["cores"] = cores
        self.report.notes["threads"] = (
            f"What the machine gives {most} threads: {most} concurrent processes of an "
            f"in-cache NumPy loop together run {cores:.2f}x the work of one alone (median of "
            f"3; dedicated cores give {most}x). The read bandwidth by thread count is in W6."
        )
        self.report.tables["threads"] = (
            ["threads", "W6 batch M samples/s", "vs 1 thread",
             "W5 batch_size=1000 M samples/s", "vs 1 thread"],
            rows,
        )  # fmt: skip

    def network(self) -> None:
        """W7: the (64, 64) network against MLPClassifier, PyTorch eager and a JAX jit epoch.

        gdfast (every run, float64 and float32, 1 and all threads), the JAX epoch and
        MLPClassifier's adam on batches of 200 race round-robin; MLPClassifier on batches
        of 32 (about 5 s a fit) and PyTorch eager (one run, as in W5) on their own."""
        import numpy as np

        w = self.w
        spec, params = w.W7, w.W7["params"]
        X, y = w.make_w7(w.rows(spec["n"]), spec["d"])
        X32 = X.astype(np.float32)
        n = X.shape[0]
        epochs = params["max_iter"]
        samples = n * epochs
        counts = sorted({1, self.threads})
        flops = w.mlp_flops_per_sample(w.mlp_layer_sizes(spec["d"], params))

        def accuracy(model: Any) -> float:
            return w.mlp_accuracy(X, y, model.coefs_, model.intercepts_)

        def layer_accuracy(layers: Any) -> float:
            return w.mlp_accuracy(X, y, *layers)

        def label(run: str) -> str:
            p = dict(params, **w.W7_RUNS[run])
            return f"{p['solver']}, batch {p['batch_size']}"

        def sklearn(run: str) -> Run:
            return Run(f"MLPClassifier {label(run)} float64",
                       lambda: w.sklearn_mlp_fit(X, y, **w.W7_RUNS[run]), samples,
                       accuracy_of=accuracy)  # fmt: skip

        mine: dict[tuple[str, str, int], Run] = {}
        for run in w.W7_RUNS:
            for c in reversed(counts):
                mine[run, "float64", c] = Run(
                    f"gdfast {label(run)} float64 ({threads(c)})",
                    lambda c=c, run=run: w.gdfast_mlp_fit(X, y, n_threads=c, **w.W7_RUNS[run]),
                    samples, is_gdfast=True, accuracy_of=accuracy,
                )  # fmt: skip
        for c in reversed(counts):
            mine["sgd", "float32", c] = Run(
                f"gdfast {label('sgd')} float32 ({threads(c)})",
                lambda c=c: w.gdfast_mlp_fit(X32, y, n_threads=c), samples,
                is_gdfast=True, accuracy_of=accuracy,
            )  # fmt: skip
        peers = [sklearn("adam200")]
        if w.importable("jax"):
            jax_run = w.jax_mlp_epochs(X32, y, params)  # compiles it, before any timing
            peers.append(Run("JAX jit epoch sgd, batch 32 float32 (XLA's threads)",
                             jax_run, samples, accuracy_of=layer_accuracy))  # fmt: skip
        entries = self.race("W7", *mine.values(), *peers)
        fast = dict(zip(mine, entries))
        by_name = {e.name: e for e in entries}
        rounds = min(self.rounds, 3)
        sk = {"adam200": by_name[peers[0].name]}
        for run in ("sgd", "adam"):
            sk[run] = self.solo("W7", sklearn(run), rounds=rounds, warmup=0,
                                note=f"{rounds} runs")  # fmt: skip

        def versus(peer: Entry, run: str, dtype: str = "float64") -> list[Entry]:
            """The gdfast entries of ``peer``'s run and dtype, headline (default threads)
            first: the speed-ups of ``peer``'s row, tagged by their thread counts."""
            ours = [fast[run, dtype, c] for c in reversed(counts)]
            peer.rivals = [e.name for e in ours]
            for c, e in zip(reversed(counts), ours):
                e.tag = f"gdfast, {threads(c)}"
            return ours

        for run, target, short in (("sgd", 4.0, "W7 sgd\nvs sklearn"),
                                   ("adam", 4.0, "W7 adam\nvs sklearn"),
                                   ("adam200", 2.5, "W7 adam 200\nvs sklearn")):  # fmt: skip
            headline = versus(sk[run], run)[0]
            self.check_accuracy("W7", headline, sk[run])
            self.ratio(f"W7 {label(run)}: gdfast / MLPClassifier (float64)", headline, sk[run],
                       target, short)  # fmt: skip
        steps = -(-n // params["batch_size"]) * epochs
        figures = self.report.figures

        def per_step(key: str, entry: Entry) -> None:
            figures[f"W7: {key} us a step"] = 1e6 * entry.median / steps

        per_step("MLPClassifier sgd", sk["sgd"])
        per_step("MLPClassifier adam", sk["adam"])
        figures["W7: MLPClassifier adam 200 / adam 32"] = sk["adam200"].rate / sk["adam"].rate
        for c in counts:
            per_step(f"gdfast sgd float64, {threads(c)}", fast["sgd", "float64", c])
            per_step(f"gdfast sgd float32, {threads(c)}", fast["sgd", "float32", c])
            per_step(f"gdfast adam float64, {threads(c)}", fast["adam", "float64", c])
        if len(peers) > 1:
            jax_entry = by_name[peers[1].name]
            headline = versus(jax_entry, "sgd", "float32")[0]
            self.check_accuracy("W7", headline, jax_entry)
            self.ratio("W7 float32: gdfast / JAX jit epoch", headline, jax_entry, 1.25,
                       "W7 f32\nvs JAX")  # fmt: skip
            for who, entry in (("JAX", jax_entry), ("gdfast float32", headline)):
                figures[f"W7: {who} GFLOP/s"] = entry.rate * flops / 1e9
        if w.torch_available():
            for c in reversed(counts):
                tor = self.solo(
                    "W7",
                    Run(f"PyTorch eager sgd, batch 32 float32 ({threads(c)})",
                        lambda c=c: w.torch_mlp_fit(X32, y, params, c), samples,
                        accuracy_of=layer_accuracy),
                    rounds=1, warmup=0, note="1 run",
                )  # fmt: skip
                versus(tor, "sgd", "float32")
                ours = fast["sgd", "float32", c]
                self.check_accuracy("W7", ours, tor)
                self.ratio(f"W7 float32: gdfast / PyTorch eager, {threads(c)} each", ours, tor,
                           8.0, f"W7 f32\nvs torch ({c}t)", chart=c == self.threads)  # fmt: skip
                per_step(f"PyTorch, {threads(c)}", tor)
        for c in counts:
            sgd, adam = fast["sgd", "float64", c], fast["adam", "float64", c]
            extra = 1e6 * (adam.median - sgd.median) / steps
            figures[f"W7: adam extra us a step, {threads(c)}"] = extra
            self.diagnose(
                "W7", f"gdfast float64 adam minus plain sgd, batch 32, {threads(c)}",
                f"{extra:+.1f} us a step of 32 rows over sgd's "
                f"{1e6 * sgd.median / steps:.1f} us (adam's update reads and writes the "
                "parameters, the gradient and both moment vectors every step)",
            )  # fmt: skip
        if len(counts) > 1:
            one, most = fast["sgd", "float64", 1], fast["sgd", "float64", self.threads]
            figures["W7: sgd float64 threads gain"] = most.rate / one.rate
            self.diagnose(
                "W7", f"gdfast sgd float64, {threads(self.threads)} / 1 thread",
                f"{most.rate / one.rate:.2f}x (a batch of 32 rows split across threads)",
            )  # fmt: skip
        self.network_flops(X, X32, y, flops)

    def network_flops(self, X: Any, X32: Any, y: Any, flops: int) -> None:
        """GFLOP/s of gdfast's W7 network (plain sgd, ``gdfast.fit``) by batch size, dtype
        and thread count (1, 2), against the cores' multiply-add peak (bench/fma_peak.c)."""
        w = self.w
        n = X.shape[0]
        batches = (
            ("1 (method sgd)", dict(method="sgd", max_iter=1)),
            ("32", dict(max_iter=1)),
            ("200", dict(batch_size=200, max_iter=1)),
            (f"{n:,} (method batch)", dict(method="batch", max_iter=4)),
        )
        counts = (1, 2)
        configs = {
            (dtype, batch, c): (lambda Xd=Xd, changes=changes, c=c:
                                w.gdfast_fit(Xd, y, w.W7_FIT, n_threads=c, **changes),
                                n * changes["max_iter"])
            for dtype, Xd in (("float64", X), ("float32", X32))
            for batch, changes in batches
            for c in counts
        }  # fmt: skip
        rounds = min(self.rounds, 3)
        timed = self.round_robin({key: fn for key, (fn, _) in configs.items()}, rounds)
        found = w.c_fma_peak(list(counts), millions=5 if self.report.quick else 20)
        peaks, isa = found if found is not None else ({}, "")
        rows = []
        for (dtype, batch, c), (_, samples) in configs.items():
            rate = samples / median(timed[dtype, batch, c][0])
            gflops = rate * flops / 1e9
            peak = peaks.get((dtype, 1))
            share = "" if peak is None else f"{gflops / (c * peak):.0%}"
            self.report.figures[f"W7: GFLOP/s {dtype} batch {batch}, {threads(c)}"] = gflops
            if peak is not None:
                self.report.figures[f"W7: peak share {dtype} batch {batch}, {threads(c)}"] = (
                    gflops / (c * peak)
                )
            rows.append([dtype, batch, str(c), f"{rate / 1e3:.0f}", f"{gflops:.1f}", share])
            log(f"  W7 GFLOP/s  {dtype} batch {batch:<22} {threads(c):<10} {gflops:6.1f}")
        self.report.tables["W7-gflops"] = (
            ["dtype", "batch size", "threads", "k samples/s", "GFLOP/s", "of the cores' peak"],
            rows,
        )
        if found is None:
            peak_text = "no gcc: bench/fma_peak.c not compiled, the peak is not measured"
        else:
            for dtype in ("float64", "float32"):
                self.report.figures[f"peak GFLOP/s {dtype}"] = peaks[dtype, 1]
            per_core = ", ".join(
                f"{peaks[dtype, 1]:.1f} GFLOP/s {dtype}" for dtype in ("float64", "float32")
            )
            bits = {"avx2-fma": 256, "avx512": 512}.get(isa)
            rate = (
                f" = {peaks['float64', 1] / (bits // 32):.2f} G {bits}-bit FMA instructions/s"
                if bits is not None
                else " (isa=scalar: separate multiplies and adds, not an FMA peak)"
            )
            both = ", ".join(f"{peaks[dtype, 2]:.1f}" for dtype in ("float64", "float32"))
            peak_text = (
                f"bench/fma_peak.c ({isa}, 12 independent chains, best of 5): one core "
                f"{per_core}{rate}; two threads together {both} (float64, float32)"
            )
        self.report.notes["W7-gflops"] = (
            f"gdfast's W7 network with plain SGD (`gdfast.fit`, `hidden_layer_sizes=(64, 64)`, "
            f"eta0=0.01) by batch size: {flops:,} FLOP a sample "
            "(`workloads.mlp_flops_per_sample`: the forward products, dW and the deltas of the "
            "layers above the first; biases, activations and the update not counted), "
            f"GFLOP/s = FLOP a sample x samples/s, median of {rounds} round-robin rounds (one "
            "epoch; the full batch 4 iterations). The peak of c threads is c x one core's: "
            f"{peak_text}."
        )

    def scaling(self) -> None:
        """W1's sgd run over n (d=100) and over d (n=200k): cost should be linear in both."""
        import numpy as np

        w = self.w
        params = w.SGD_REGRESSION
        for axis, configs in (
            ("n", [(w.rows(n), 100) for n in (50_000, 100_000, 200_000, 400_000)]),
            ("d", [(w.rows(200_000), d) for d in (25, 50, 100, 200)]),
        ):
            data = {(n, d): w.make_regression(n, d) for n, d in configs}
            timed = self.round_robin(
                {key: lambda X=X, y=y: w.gdfast_fit(X, y, params) for key, (X, y) in data.items()}
            )
            del data
            points = []
            for n, d in configs:
                rate = n * 3 / median(timed[(n, d)][0])
                points.append((n, d, rate))
                log(f"  scaling-{axis}  n={n:>7} d={d:>3} {rate / 1e6:9.3f} M samples/s")
            xs = np.array([p[0] if axis == "n" else p[1] for p in points], float)
            seconds = np.array([p[0] * 3 / p[2] for p in points])
            per_sample_ns = np.array([1e9 / p[2] for p in points])
            if axis == "n":
                slope, intercept = np.polyfit(xs, seconds, 1)
                fit_note = (
                    f"least squares: fit time = {1e3 * intercept:.1f} ms + "
                    f"{1e9 * slope / 3:.1f} ns x n x epochs (a linear cost has no fixed part)"
                )
            else:
                slope, intercept = np.polyfit(xs, per_sample_ns, 1)
                fit_note = (
                    f"least squares: time per sample = {intercept:.1f} ns + "
                    f"{slope:.2f} ns x d (the fixed part is the row's random gather latency "
                    "and the update's bookkeeping)"
                )
            rows = [
                [f"{n:,}", str(d), f"{r / 1e6:.2f}", f"{1e9 / r:.0f}", f"{1e9 / r / d:.2f}"]
                for n, d, r in points
            ]
            self.report.tables[f"scaling-{axis}"] = (
                ["n", "d", "M samples/s", "ns / sample", "ns / (sample x feature)"],
                rows,
            )
            self.report.notes[f"scaling-{axis}"] = fit_note

    def dask(self) -> None:
        """W8: gdfast.dask against dask-glm, plain dask and dask-ml on a LocalCluster; the
        same gdfast runs on 1, 2 and 4 workers; the scheduler's round trip."""
        try:
            import dask_glm  # noqa: F401
            import dask_ml  # noqa: F401
            import distributed  # noqa: F401
        except ImportError as missing:
            log(f"  W8 skipped: {missing}")
            return
        w = self.w
        n, d, n_chunks = w.rows(w.W8["n"]), w.W8["d"], w.W8["n_chunks"]
        scaling: list[list[str]] = []
        trips: dict[tuple[int, int], float] = {}
        for n_workers in (1, 2, 4):
            rates, trips[(n_workers, 1)], trips[(n_workers, n_chunks)] = self._w8_on(n_workers)
            scaling.append([
                str(n_workers), f"{rates[0] / 1e6:.2f}", f"{1e3 * n / rates[0]:.0f}",
                f"{rates[1] / 1e6:.2f}", f"{trips[(n_workers, 1)]:.1f}",
                f"{trips[(n_workers, n_chunks)]:.1f}",
            ])  # fmt: skip
        self.report.tables["W8-scaling"] = (
            ["workers", "batch M samples/s", "batch ms an iteration", "sgd M samples/s",
             "round trip, 1 no-op task (ms)", f"round trip, {n_chunks} no-op tasks (ms)"],
            scaling,
        )  # fmt: skip
        one, many = trips[(2, 1)], trips[(2, n_chunks)]
        per_task = (many - one) / (n_chunks - 1)
        at_100 = one + per_task * 99
        compute_ms = 1e3 * n * d * 8 / (100 * 6e9)  # a 100th of X at one core's 6 GB/s
        self.report.notes["W8-scaling"] = (
            f"The scheduler's floor under every iteration, from the 2-worker round trips: "
            f"{one:.1f} ms for one task plus {per_task:.1f} ms for each further task. With "
            f"100 workers and one chunk each, an iteration would cost about {at_100:.0f} ms of "
            f"scheduling (one task a worker) against {compute_ms:.1f} ms of compute for this "
            "W8 (a hundredth of 800 MB at one core's ~6 GB/s): batch descent on 100 workers "
            f"pays off for chunks of at least ~{at_100 / compute_ms * n / 100 / 1e6:.0f} M rows "
            "of 100 features, and local SGD (one round trip an epoch, not one an update) is "
            "the right choice below that."
        )
        log(f"  W8 round trips (ms) {trips}")

    def _w8_on(self, n_workers: int) -> tuple[list[float], float, float]:
        """gdfast's W8 runs on a cluster of ``n_workers`` (the race with the peers on W8's
        own 2): (batch and sgd samples/s, round trips of 1 and n_chunks no-op tasks)."""
        import gdfast.dask

        w = self.w
        n, d, n_chunks = w.rows(w.W8["n"]), w.W8["d"], w.W8["n_chunks"]
        batch, sgd = w.W8_BATCH, w.W8_SGD
        with w.w8_cluster(n_workers) as client:
            X, y = w.make_w8(n, d, n_chunks)
            ours = (
                Run("gdfast batch", lambda: gdfast.dask.fit(X, y, **batch),
                    n * batch["max_iter"], is_gdfast=True),
                Run("gdfast sgd (local SGD)", lambda: gdfast.dask.fit(X, y, **sgd),
                    n * sgd["max_iter"], is_gdfast=True,
                    loss_of=lambda r: w.w8_loss(X, y, r.coef, r.intercept)),
            )  # fmt: skip
            if n_workers != w.W8["n_workers"]:
                timed = self.round_robin({run.name: run.fn for run in ours}, rounds=3)
                rates = [run.samples / median(timed[run.name][0]) for run in ours]
            else:
                fast_batch, fast_sgd = self.race("W8", *ours)
                rates = [fast_batch.rate, fast_sgd.rate]
                plain = self.solo("W8", Run(
                    "plain dask X.T @ (X @ b - y), 20 steps",
                    lambda: w.w8_plain_dask_batch(X, y, batch["max_iter"], batch["eta0"]),
                    n * batch["max_iter"]), rounds=3, warmup=1)  # fmt: skip
                glm = self.solo("W8", Run(
                    "dask-glm gradient_descent (Normal), 20 iterations",
                    lambda: w.w8_dask_glm(X, y, batch["max_iter"]),
                    n * batch["max_iter"]), rounds=1, warmup=0)  # fmt: skip
                incremental = self.solo("W8", Run(
                    "dask-ml Incremental(SGDRegressor), 3 epochs",
                    lambda: w.w8_dask_ml_sgd(X, y, sgd["max_iter"], sgd["eta0"]),
                    n * sgd["max_iter"],
                    loss_of=lambda m: w.w8_loss(X, y, m.coef_, m.intercept_)),
                    rounds=1, warmup=0)  # fmt: skip
                plain.rivals = glm.rivals = [fast_batch.name]
                incremental.rivals = [fast_sgd.name]
                assert fast_sgd.loss is not None
                self.check("W8", fast_sgd.loss, incremental)
                self.ratio("W8 batch: gdfast / dask-glm", fast_batch, glm, 10.0)
                self.ratio("W8 batch: gdfast / plain dask", fast_batch, plain, 2.0)
                self.ratio("W8 sgd: gdfast / dask-ml Incremental", fast_sgd, incremental, 3.0)
            return rates, w.w8_round_trip_ms(client, 1), w.w8_round_trip_ms(client, n_chunks)

    def tiny(self) -> None:
        """Per-epoch Python overhead: n=100, d=10, 1,000 epochs of sgd."""

        found = self.w.tiny_overhead(100, 10, 1000, repeats=max(self.rounds, 5))
        self.report.tables["tiny"] = (
            ["per epoch (n=100, d=10, 1,000 epochs, sgd)", "us"],
            [
                ["whole fit (gdfast.fit's loop, the epoch call in a clock) / 1,000",
                 f"{found['total_us']:.1f}"],
                ["  of it in the compiled epoch call (timed inside the fit)",
                 f"{found['kernel_us']:.1f}"],
                ["  of it in Python around it: the per-epoch overhead",
                 f"{found['overhead_us']:.1f}"],
                ["bare compiled epoch call, same arguments, tight loop",
                 f"{found['bare_call_us']:.1f}"],
                ["bare compiled epoch call over a 1-sample order (the call alone)",
                 f"{found['one_sample_call_us']:.1f}"],
            ],
        )  # fmt: skip
        self.report.targets.append(
            Target("tiny data: Python overhead per epoch", found["overhead_us"], 20.0, "us",
                   chart=False)
        )  # fmt: skip
        self.report.targets.append(
            Target("tiny data: whole fit per epoch (total)", found["total_us"], 20.0, "us",
                   chart=False)
        )  # fmt: skip
        for key in ("total_us", "kernel_us", "overhead_us", "one_sample_call_us"):
            self.report.figures[f"tiny: {key}"] = found[key]
        log(f"  tiny       {found}")


# ---------------------------------------------------------------------------------------------
# the machine


def machine_info(bench: Bench) -> dict[str, str]:
    import numpy as np

    import gdfast

    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_DIR).stdout.strip()
        except OSError:
            return ""

    cpu = "unknown"
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = ", ".join(f for f in ("avx2", "fma", "avx512f") if f in flags) or "-"
    caches = ", ".join(
        line.split(":", 1)[0].replace(" cache", "") + " " + line.split(":", 1)[1].strip()
        for line in run("lscpu").splitlines()
        if line.strip().startswith(("L2 cache", "L3 cache"))
    )

    def version(module: str) -> str:
        try:
            return str(__import__(module).__version__)
        except ImportError:
            return "not installed"

    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{p['internal_api']} {p.get('version')} ({p.get('architecture')}, "
            f"{p['num_threads']} threads)"
            for p in threadpool_info()
            if p["user_api"] == "blas" and "numpy" in p["filepath"]
        )
    except ImportError:
        blas = "threadpoolctl not installed"
    commit = run("git", "rev-parse", "--short", "HEAD")
    dirty = run("git", "status", "--porcelain", "--", "src", "CMakeLists.txt")
    core = gdfast._core
    core_file = Path(core.__file__)
    built = datetime.datetime.fromtimestamp(core_file.stat().st_mtime, datetime.timezone.utc)
    unset = os.environ.get("GDFAST_REPORT_UNSET", "")
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "git commit": commit + (" + uncommitted changes in src/" if dirty else ""),
        "CPU": f"{cpu} ({simd}; {caches})",
        "cores": f"{os.cpu_count()} (gdfast and torch run on {bench.threads} threads)",
        "OS": platform.platform(),
        "python": platform.python_version(),
        "numpy": f"{np.__version__}; BLAS: {blas}",
        "scipy": version("scipy"),
        "scikit-learn": version("sklearn"),
        "torch": version("torch"),
        "gdfast": f"{gdfast.__version__} (kernels: {getattr(core, 'isa', '?')}, OpenMP: "
        f"{core.has_openmp}, _core built {built:%Y-%m-%d %H:%M} UTC)",
        "OPENBLAS_CORETYPE / _L2_SIZE": f"unset for this run (were {unset})"
        if unset
        else "not set",
        "GDFAST_BENCH_SCALE": str(bench.w.scale()),
    }


# ---------------------------------------------------------------------------------------------
# writing


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


WORKLOAD_TEXT = {
    "W1": "n=200,000, d=100 (float64 and a float32 copy); sgd, squared_error, constant "
    "eta0=1e-3, no penalty, 3 epochs, shuffled.",
    "W2": "n=20,000, d=100 float64 (16 MB: in the L3 cache); as W1, 30 epochs.",
    "W3": "n=1,000,000, d=10 float64; as W1.",
    "W4": "CSR n=200,000, d=100,000, 50 non-zeros a row; sgd, hinge, l2 alpha=1e-5, "
    "learning_rate='optimal', 3 epochs; quality = mean hinge loss on the training data.",
    "W5": "W1's data; minibatch batch_size=32, constant eta0=1e-2, 3 epochs.",
    "W6": "W1's data; batch (one update an epoch), eta0=0.1, 20 epochs.",
    "W8": "n=1,000,000, d=100 float64 in 10 row chunks, generated and persisted on a "
    "LocalCluster of 2 one-thread worker processes (`da.random.default_rng(0)`), "
    "`y = X @ w + 0.1 noise`; batch: 20 iterations at eta0=0.1 (`gdfast.dask.fit`); sgd: 3 "
    "epochs at eta0=1e-3 (local SGD, the chunks' models averaged each epoch), random_state=0. "
    "Quality = mean squared loss over all of W8 after the fit, against dask-ml's.",
    "W7": "n=50,000, d=100 float64 (and a float32 copy), 3 classes (`y = [X[:, :10].sum(1) > 0] "
    "+ [X[:, 10:20].sum(1) > 0]`); an MLP (64, 64) relu with a softmax output, 3 epochs, "
    "random_state=0: plain SGD 0.01 (momentum 0) on batches of 32, adam 0.001 on batches "
    "of 32 and of 200 (scikit-learn's default). `GDMLPClassifier` takes `MLPClassifier`'s "
    "parameters; PyTorch and JAX run plain SGD in float32 from the same Glorot draws. "
    "Quality = training accuracy after the 3 epochs (NumPy forward pass in float64). "
    "gdfast is `GDMLPClassifier`; a peer's speed-ups are those of the gdfast runs of "
    "the same run and dtype.",
}


def _limit_texts(report: Report) -> dict[str, str]:
    """What limits each target, with this run's figures, keyed by the target's label prefix.

    The profiles quoted are bench/PROFILES.md's (``python bench/perf_profiles.py``)."""
    f = report.figures

    def fig(key: str, fmt: str = ".2f", unit: str = "x") -> str:
        return f"{f[key]:{fmt}}{unit}" if key in f else "(not measured)"

    by_label = {t.label: t for t in report.targets}

    def ceiling(label: str) -> str:
        t = by_label.get(label)
        return f"{t.ceiling:.2f}x" if t is not None and t.ceiling is not None else "(no gcc)"

    def against_ceiling(label: str) -> str:
        t = by_label.get(label)
        if t is None or t.ceiling is None:
            return "(the plain C loop needs gcc)"
        if t.measured > t.ceiling:
            return (
                "gdfast beats the plain C loop of DESIGN.md with the same prefetch "
                f"({t.ceiling:.2f}x the peer in the same rounds; it draws its permutations "
                "between epochs, gdfast in a worker thread)"
            )
        share = t.measured / t.ceiling
        if share >= 0.95:
            return (
                f"the plain C loop of DESIGN.md with the same prefetch reaches {t.ceiling:.2f}x "
                "the peer in the same rounds: gdfast runs at the loop this machine allows"
            )
        return (
            f"the plain C loop of DESIGN.md with the same prefetch reaches {t.ceiling:.2f}x the "
            f"peer in the same rounds, gdfast {share:.2f} of it in this run"
        )

    gather = (
        "The rows of a shuffled epoch are a random gather from memory: X is five times the "
        "32 MB L3 cache here, and each sample waits for its row."
    )
    return {
        "W1 float64": (
            f"{gather} The same fit with rows in storage order runs "
            f"{fig('W1: gdfast float64, rows in order (shuffle=False: no random gather)')} "
            f"faster, and {against_ceiling('W1 float64: gdfast / SGDRegressor')}; the target "
            "needs rows from memory faster than this machine delivers them. Profile "
            "([W1](bench/PROFILES.md#w1)): most "
            "samples in the epoch kernel, on the far row prefetch (the instruction after "
            "`prefetcht1`, 32 rows ahead into the L2, waits for a free miss buffer: the core "
            "has as many rows in flight as it can track) and on the row's first loads; NumPy "
            "drawing the next permutation on the other core, and the one pass over X for "
            "NaN, share the rest (BENCHMARKS.md, 'Issue 14', for the second core)."
        ),
        "W1 float32": (
            "As W1 float64, a random gather from memory: X is 80 MB in float32, 2.5 times "
            "the L3 cache, and the row is 400 bytes. gdfast float32 runs "
            f"{fig('W1: gdfast float32 (shuffled)')} the float64 fit; rows in order "
            f"{fig('W1: gdfast float32, rows in order (shuffle=False)')} it. The plain C "
            f"loop reaches {ceiling('W1 float32: gdfast f32 / SGDRegressor f32')} "
            "SGDRegressor float32. Profile: [W1 float32](bench/PROFILES.md#w1-float32), the "
            "row prefetch and loads again; NumPy's permutation takes a larger share, the "
            "epochs being shorter."
        ),
        "W2": (
            "The rows sit in the L3 cache (16 MB), yet gathering them at random still costs "
            "most of the time: rows in order run "
            f"{fig('W2: gdfast float64, rows in order (shuffle=False: no random gather)')} "
            "faster, the plain C loop without its prefetch "
            f"{fig('W2: plain C loop float64, shuffled, no prefetch')} gdfast, and "
            f"{against_ceiling('W2 float64: gdfast / SGDRegressor')}. In storage order the "
            "per-sample chain bounds the loop (the dot product, then the update, whose "
            "weights the next dot product reads): the plain C loop runs "
            f"{fig('W2: plain C loop float64, rows in order')} gdfast's shuffled run there. "
            "Profile ([W2](bench/PROFILES.md#w2)): about half of the epoch kernel's samples "
            "on the row prefetch (the instruction after `prefetcht0`), then the dot product "
            "(the unnamed `_core` addresses among the top symbols); NumPy's permutation of "
            "the next epoch on the other core."
        ),
        "W3": (
            "Rows of 10 features (80 bytes) gathered at random from 80 MB: rows in order run "
            f"{fig('W3: gdfast float64, rows in order (shuffle=False: no random gather)')} "
            f"faster, and {against_ceiling('W3 float64: gdfast / SGDRegressor')}. With rows this "
            "short the permutation is a large part: NumPy's `rng.permutation(1,000,000)` "
            f"takes {fig('W3: permutation ms', '.1f', ' ms')} = "
            f"{fig('W3: permutation share', '.0%', '')} of a gdfast epoch; the next epoch's is "
            "drawn by a worker thread while this one runs, but the first is on the critical "
            "path. Profile ([W3](bench/PROFILES.md#w3)): the epoch kernel (the far row "
            "prefetch and the loads) and NumPy's shuffle (a quarter of the samples, on the "
            "worker)."
        ),
        "W4": (
            "Each sample gathers a random row of 50 values and 50 indices (600 bytes) from "
            "120 MB and then 50 random weights from an 800 KB vector: rows in order run "
            f"{fig('W4: gdfast, rows in order (shuffle=False)')} faster, and with both in "
            "storage order gdfast runs "
            f"{fig('W4: in storage order, gdfast / SGDClassifier')} SGDClassifier. The "
            "penalty and the schedule cost nothing measurable (see the W4 diagnostics). "
            "Profile ([W4](bench/PROFILES.md#w4)): the first load of the row's values (it "
            "waits for memory despite the prefetch), the index loads after the weight gathers "
            "(the `vfmadd231sd` with an indexed operand: weights that missed the L2) and the "
            "row prefetch. Measured on 2026-11-26: rows prefetched 16 ahead into the L2 "
            "instead of 8 into the L1, 1.14x (kept); without gain: prefetching the weights of "
            "the row 2 or 4 samples ahead (0.98x, 0.91x), non-temporal row prefetches (0.98x). "
            "The lazy loop is scikit-learn's (a scale factor for the L2 penalty, no update "
            "when the hinge is flat), so in storage order both do the same work."
        ),
        "W5 minibatch 32: gdfast / NumPy": (
            "Mini-batches of W1's shuffled rows: the same random gather as W1 (rows in order "
            f"run {fig('W5: gdfast, rows in order (shuffle=False)')} faster), and gdfast's "
            "mini-batch epoch runs at its sgd speed. The NumPy loop is fast here: one fancy-"
            "indexing gather and two small BLAS calls a batch. Profile "
            "([W5](bench/PROFILES.md#w5)): the gradient loop's row loads."
        ),
        **{
            f"W5 minibatch 32: gdfast / PyTorch CPU, {threads(c)}": (
                "A PyTorch step of 32 rows (index, forward, loss, backward, `optimizer.step`) "
                f"costs {fig(f'W5: PyTorch us a step, {threads(c)}', '.0f', ' us')} on "
                f"{threads(c)} against gdfast's "
                f"{fig(f'W5: gdfast us a step, {threads(c)}', '.1f', ' us')}, which is W1's "
                "memory-bound gather: 100x would need gdfast's rows faster than memory "
                "delivers them (see W1, and W5 vs NumPy)."
            )
            for c in (1, 2)
        },
        "W6 batch: 2 threads": (
            "The epoch reads X once, and memory, not the cores, sets the pace: the read pass "
            "over the same X in the same rounds ran "
            f"{fig('W6: read pass GB/s, 1 thread', '.1f', ' GB/s')} on one thread and "
            f"{fig('W6: read pass GB/s, 2 threads', '.1f', ' GB/s')} on two, gdfast "
            f"{fig('W6: gdfast GB/s, 1 thread', '.1f', ' GB/s')} and "
            f"{fig('W6: gdfast GB/s, 2 threads', '.1f', ' GB/s')} (two processes of an "
            f"in-cache loop got {fig('cores', '.2f', '')} cores' worth). The blocks of rows "
            "are fixed and summed in a fixed order, so a second thread adds no work. "
            "Profile: [W6](bench/PROFILES.md#w6)."
        ),
        "W6 epoch bytes": (
            "The batch epoch is one fused pass (each row's dot product and its gradient "
            "update from the same cache lines), so the gap to the read pass is compute per "
            f"byte: gdfast reads {fig('W6: gdfast GB/s, 1 thread', '.1f', ' GB/s')} on one "
            f"thread and {fig('W6: gdfast GB/s, 2 threads', '.1f', ' GB/s')} on two, the "
            "read pass over the same X in the same rounds "
            f"{fig('W6: read pass GB/s, 1 thread', '.1f', ' GB/s')} and "
            f"{fig('W6: read pass GB/s, 2 threads', '.1f', ' GB/s')}. Profile "
            "([W6](bench/PROFILES.md#w6)): the multiply-adds that load the streaming row "
            "(dot product and gradient), and libgomp's barrier. Measured without gain on "
            "2026-11-26: four rows at a time (the weights and the gradient once per four "
            "rows) ran 1.5x faster in cache but 2.5x slower from memory, four interleaved "
            "streams defeating the hardware prefetcher (0.8x with software prefetch)."
        ),
        "tiny data": (
            f"Of the {fig('tiny: total_us', '.1f', ' us')} an epoch, "
            f"{fig('tiny: kernel_us', '.1f', ' us')} are the compiled epoch call and "
            f"{fig('tiny: overhead_us', '.1f', ' us')} the Python around it; the call over "
            f"one sample alone takes {fig('tiny: one_sample_call_us', '.1f', ' us')}, so the "
            "100 samples cost about 1 us and the call itself is most of the epoch. `perf "
            "record` of that call (2026-12-05): pybind11 matching its 30 keyword arguments "
            "(`memcmp`, `unicode_compare`, dictionary lookups and the unpacking of "
            "`**config`) takes most samples; float32 pays it twice, its overload being "
            "tried after float64's (8.5 us against 12.5 us a one-sample call that day). "
            "Not changed yet: the remedy is one settings object built once a fit."
        ),
        "W7 sgd, batch 32": (
            "A step of 32 rows is 1.6 MFLOP of matrix products. gdfast takes "
            f"{fig('W7: gdfast sgd float64, 1 thread us a step', '.1f', ' us')} a step on one "
            f"thread ({fig('W7: gdfast sgd float64, 2 threads us a step', '.1f', ' us')} on "
            "two), MLPClassifier "
            f"{fig('W7: MLPClassifier sgd us a step', '.0f', ' us')}: a sequence of NumPy "
            "calls on arrays of 32 rows, each with its own Python overhead. gdfast's products "
            f"run at {fig('W7: peak share float64 batch 32, 1 thread', '.0%', '')} of one "
            "core's FMA peak on one thread and "
            f"{fig('W7: peak share float64 batch 32, 2 threads', '.0%', '')} of two cores' on "
            "two (the GFLOP/s table in W7); two threads ran "
            f"{fig('W7: sgd float64 threads gain')} the speed of one."
        ),
        "W7 adam, batch 32": (
            "adam's update adds "
            f"{fig('W7: adam extra us a step, 1 thread', '.1f', ' us')} a step on one thread "
            f"({fig('W7: adam extra us a step, 2 threads', '.1f', ' us')} on two) to "
            "plain SGD's: every 32 rows it reads and writes the 10,819 parameters, the "
            "gradient and both moment vectors, with a square root and a division per "
            "parameter, a cost per step that a larger batch spreads over more rows. "
            "MLPClassifier's adam step costs "
            f"{fig('W7: MLPClassifier adam us a step', '.0f', ' us')} against its sgd step's "
            f"{fig('W7: MLPClassifier sgd us a step', '.0f', ' us')}: its fixed cost per step "
            "hides most of adam's extra work, gdfast's does not."
        ),
        "W7 adam, batch 200": (
            "On 200 rows a step MLPClassifier's fixed cost per step is spread over 6 times "
            "more rows than at 32, so it runs "
            f"{fig('W7: MLPClassifier adam 200 / adam 32')} faster than with batches of 32 "
            "and gdfast's margin shrinks; gdfast's products at batch 200 run at "
            f"{fig('W7: peak share float64 batch 200, 1 thread', '.0%', '')} of one core's "
            "FMA peak on one thread "
            f"({fig('W7: peak share float64 batch 200, 2 threads', '.0%', '')} of two cores' on "
            "two; the GFLOP/s table in W7)."
        ),
        "W7 float32: gdfast / PyTorch": (
            "A PyTorch eager step (index, three `Linear`, loss, backward, `optimizer.step`) "
            f"costs {fig('W7: PyTorch, 1 thread us a step', '.0f', ' us')} on one thread and "
            f"{fig('W7: PyTorch, 2 threads us a step', '.0f', ' us')} on two, against gdfast "
            f"float32's {fig('W7: gdfast sgd float32, 1 thread us a step', '.1f', ' us')} and "
            f"{fig('W7: gdfast sgd float32, 2 threads us a step', '.1f', ' us')}: PyTorch's "
            "per-operator dispatch, not its arithmetic."
        ),
        "W7 float32: gdfast / JAX": (
            "XLA's compiled epoch has no Python in its loop either: it ran "
            f"{fig('W7: JAX GFLOP/s', '.1f', ' GFLOP/s')} of products on all cores, gdfast "
            f"float32 {fig('W7: gdfast float32 GFLOP/s', '.1f', ' GFLOP/s')}; one core's "
            f"float32 FMA peak is {fig('peak GFLOP/s float32', '.1f', ' GFLOP/s')}, and "
            "gdfast's float32 steps of 32 rows reach "
            f"{fig('W7: peak share float32 batch 32, 1 thread', '.0%', '')} of it on one "
            "thread (the GFLOP/s table in W7)."
        ),
    }


def write_limits(report: Report, add: Callable[[str], None]) -> None:
    """For each target not met: the measured figure, what limits it, the profile."""
    missed = [t for t in report.targets if not t.met]
    if not missed:
        return
    add("## What limits the targets not met\n")
    add(
        "For each target this run did not meet: the figure, what limits it (from this run's "
        "diagnostics, in the workload sections below), and the profile that shows it "
        "([bench/PROFILES.md](bench/PROFILES.md), `python bench/perf_profiles.py`: where the "
        "samples of `perf record` fell, and the hottest instructions).\n"
    )
    texts = _limit_texts(report)
    for t in missed:
        text = next((v for k, v in texts.items() if t.label.startswith(k)), "Not analysed.")
        if t.label.startswith("W6 epoch"):
            figure, target = f"{t.measured:.0%}", f"{t.target:.0%}"
        elif t.unit == "us":
            figure, target = f"{t.measured:.1f} us", f"{t.target:g} us"
        else:
            figure, target = f"{t.measured:.2f}x", f"{t.target:g}x"
        add(f"- **{t.label}: {figure}** (target {target}). {text}")
    add("")


def write_markdown(report: Report, path: Path, png: Path | None) -> None:
    out: list[str] = []
    add = out.append
    add("# gdfast benchmarks\n")
    add(
        "Written by `python bench/report.py`"
        + (" --quick (a smoke run: not a measurement)" if report.quick else "")
        + (f" --only {' '.join(report.only)} (a partial report)" if report.only else "")
        + ". gdfast races its peers on the standard workloads of the design (DESIGN.md), in "
        "the same process, on data from NumPy `default_rng(0)`. Times are the median of "
        f"{report.rounds} runs after one warm-up run, except where a row says otherwise; the "
        "contestants of a workload run round-robin (one run of each per round), because the "
        "speed of this shared machine drifts by up to 2x within minutes; "
        "samples/s = rows x epochs / time is what is compared (slow peers race a subset "
        "of the rows). The same races run under pytest-benchmark: "
        "`python -m pytest bench/ --benchmark-group-by=group`.\n"
    )
    add(
        "Read the ratios with the machine's state in mind: on a shared virtual machine the "
        "same race moves by up to 2x between runs minutes apart, 2-thread runs most of all "
        "(the 'compute parallelism' line below measures what two processes got during this "
        "run). `python bench/report.py` again gives a second opinion.\n"
    )
    add("## Machine\n")
    add(_table(["", ""], [[k, v] for k, v in report.machine.items()]) + "\n")
    add("## Targets\n")
    rows = []
    for t in report.targets:
        if t.unit == "us":
            measured, target = f"{t.measured:.1f} us", f"<= {t.target:g} us"
        elif t.label.startswith("W6 epoch bytes"):
            measured, target = f"{t.measured:.0%}", f">= {t.target:.0%}"
        else:
            measured, target = f"{t.measured:.2f}x", f">= {t.target:g}x"
        ceiling = "" if t.ceiling is None else f"{t.ceiling:.2f}x"
        rows.append([t.label, measured, target, "yes" if t.met else "**no**", ceiling])
    add(_table(["speed-up", "measured", "target", "met", "a plain C loop reaches"], rows) + "\n")
    add(
        "The last column races `bench/sgd_ceiling.c` (the plain loop of DESIGN.md's 'What the "
        "hardware allows', with the prefetch) against the same peer in the same rounds: a "
        "reference point for what this machine allows today, not a strict bound (on W2, whose "
        "rows sit in the cache, the loop's prefetches are pure overhead and gdfast beats it).\n"
    )
    if png is not None and any(t.chart for t in report.targets):
        add(f"![speed-ups against their targets]({os.path.relpath(png, path.parent)})\n")
    if report.quality:
        add("Quality: gdfast's final training loss within 1% of each peer's (or lower).\n")
        rows = [
            [workload, who, peer, f"{g:.6g}", f"{p:.6g}", f"{g / p:.4f}", "yes" if ok else "**no**"]
            for workload, who, peer, g, p, ok in report.quality
        ]
        header = ["workload", "gdfast run", "peer", "gdfast loss", "peer loss", "ratio",
                  "within 1%"]  # fmt: skip
        add(_table(header, rows) + "\n")
    if report.accuracy:
        import workloads

        tolerance = f"{workloads.ACCURACY_TOLERANCE:g}"
        add(
            "Quality of the networks (W7), at equal training accuracy: gdfast's training "
            f"accuracy after its epochs at least the peer's minus {tolerance} (absolute).\n"
        )
        rows = [
            [workload, who, peer, f"{g:.4f}", f"{p:.4f}", f"{g - p:+.4f}",
             "yes" if ok else "**no**"]
            for workload, who, peer, g, p, ok in report.accuracy
        ]  # fmt: skip
        header = ["workload", "gdfast run", "peer", "gdfast accuracy", "peer accuracy",
                  "difference", f"within {tolerance}"]  # fmt: skip
        add(_table(header, rows) + "\n")
    write_limits(report, add)
    for workload, entries in report.workloads.items():
        add(f"## {workload}\n")
        add(WORKLOAD_TEXT.get(workload, "") + "\n")
        gdfast_entries = [e for e in entries if e.is_gdfast]
        accuracies = any(e.accuracy is not None for e in entries)
        rows = []
        for e in entries:
            fast = [f for f in gdfast_entries if not e.rivals or f.name in e.rivals]
            if e.is_gdfast or not fast:
                speedup = ""
            elif len(fast) == 1:
                speedup = f"{fast[0].rate / e.rate:.2f}x"
            else:
                speedup = ", ".join(f"{f.rate / e.rate:.2f}x ({f.tag or f.name})" for f in fast)
            raced = f"{e.samples:,}" + (f" ({e.note})" if e.note else "")
            loss = "" if e.loss is None else f"{e.loss:.6g}"
            if accuracies:
                loss = "" if e.accuracy is None else f"{e.accuracy:.4f}"
            spread = f"{min(e.times):.3f}-{max(e.times):.3f}" if len(e.times) > 1 else ""
            rows.append(
                [e.name, raced, f"{e.median:.3f}", spread, f"{e.rate / 1e6:.3f}", loss, speedup]
            )
        header = ["contestant", "samples a run", "median s", "min-max s", "M samples/s",
                  "training accuracy" if accuracies else "final loss",
                  "gdfast speed-up"]  # fmt: skip
        add(_table(header, rows) + "\n")
        if workload == "W6" and "bandwidth" in report.tables:
            add(report.notes["bandwidth"] + "\n")
            add(_table(*report.tables["bandwidth"]) + "\n")
        if workload == "W7" and "W7-gflops" in report.tables:
            add("GFLOP/s of gdfast's network by batch size:\n")
            add(report.notes["W7-gflops"] + "\n")
            add(_table(*report.tables["W7-gflops"]) + "\n")
        if report.diagnostics.get(workload):
            add("Where the time goes:\n")
            add("\n".join(f"- {what}: {value}" for what, value in report.diagnostics[workload]))
            add("")
    if "threads" in report.tables:
        add("## Scaling with threads\n")
        add(
            f"W6 (batch) and W5 with batch_size=1000, gdfast alone; 'all' cores = "
            f"{os.cpu_count()}.\n"
        )
        add(_table(*report.tables["threads"]) + "\n")
        add(report.notes["threads"] + "\n")
    for axis, text in (
        ("n", "W1's sgd run (3 epochs, shuffled) at d=100: samples/s should stay flat in n."),
        ("d", "The same at n=200,000: time per sample should grow linearly in d."),
    ):
        key = f"scaling-{axis}"
        if key in report.tables:
            add(f"## Scaling with {axis}\n")
            add(text + "\n")
            add(_table(*report.tables[key]) + "\n")
            add(report.notes[key] + "\n")
    if "W8-scaling" in report.tables:
        add("## W8 on 1, 2 and 4 workers\n")
        add(
            "gdfast's W8 runs on LocalClusters of 1, 2 and 4 one-thread worker processes (this "
            "machine has 2 cores: 4 workers share them), median of 3 rounds; the round trips "
            "are a submit-and-gather of no-op tasks on the same cluster.\n"
        )
        add(_table(*report.tables["W8-scaling"]) + "\n")
        add(report.notes["W8-scaling"] + "\n")
    if "tiny" in report.tables:
        add("## Per-epoch Python overhead on tiny data\n")
        add(
            "The fit runs through the same epoch loop with the compiled epoch wrapped in a "
            "clock; the overhead is the fit's time outside those calls.\n"
        )
        add(_table(*report.tables["tiny"]) + "\n")
    add("## Peers and settings\n")
    add(
        "- scikit-learn `SGDRegressor` / `SGDClassifier` with the same loss, penalty, alpha, "
        "learning_rate, eta0, max_iter, `tol=None`, `shuffle=True`, `random_state=0`; "
        "float32 data is fitted in float32 by scikit-learn too.\n"
        "- `gdfast.reference.fit`: the same epochs written in NumPy (per sample for sgd, "
        "vectorised per batch for minibatch and batch); for W5 and W6 it is the NumPy loop.\n"
        "- PyTorch CPU: `torch.nn.Linear` (zero init, float64 like the data), "
        "`torch.optim.SGD(lr=eta0)`, `MSELoss() / 2`; W5 a standard loop over index "
        "tensors of a `torch.randperm` per epoch (no DataLoader), W6 one full-batch step "
        "an epoch; `torch.set_num_threads` = gdfast's thread count.\n"
        "- W7: scikit-learn `MLPClassifier(hidden_layer_sizes=(64, 64), solver=..., "
        "momentum=0.0, nesterovs_momentum=False, learning_rate_init=..., batch_size=..., "
        "max_iter=3, tol=0.0, n_iter_no_change=10**9, random_state=0)` (alpha its default "
        "1e-4) and `gdfast.GDMLPClassifier` with the same parameters plus `n_threads`; "
        "PyTorch eager: `nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)`, "
        "`torch.optim.SGD(lr=0.01)`, `CrossEntropyLoss`, the W5 loop over index tensors of "
        "32 rows; JAX: a `jax.jit` epoch drawing its permutation and `lax.scan`ning over the "
        "full batches, the trailing 16 rows as one more step, compiled by a warm-up call "
        "before the timing, `jax.block_until_ready`, XLA's default threads (all cores); "
        "PyTorch and JAX in float32 without the L2 term, from scikit-learn's Glorot draws "
        "for random_state=0 (`workloads.glorot_init`).\n"
        "- NumPy's BLAS and scikit-learn use their default threads (all cores)."
    )
    path.write_text("\n".join(out) + "\n")


def write_chart(report: Report, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = [t for t in report.targets if t.chart]
    if not targets:  # a partial report (--only) without ratio targets draws no chart
        return
    fig, ax = plt.subplots(figsize=(max(10.0, 0.8 * len(targets)), 4.8), dpi=110)
    xs = range(len(targets))
    colors = ["#2e7d32" if t.met else "#c62828" for t in targets]
    ax.bar(xs, [t.measured for t in targets], color=colors, width=0.6)
    ax.scatter(xs, [t.target for t in targets], marker="_", s=900, color="black", zorder=3,
               label="target")  # fmt: skip
    with_ceiling = [(x, t.ceiling) for x, t in zip(xs, targets) if t.ceiling is not None]
    if with_ceiling:
        ax.scatter([x for x, _ in with_ceiling], [c for _, c in with_ceiling], marker="o",
                   s=60, facecolors="none", edgecolors="#1565c0", zorder=4,
                   label="plain C loop (bench/sgd_ceiling.c)")  # fmt: skip
    for x, t in zip(xs, targets):
        ax.annotate(f"{t.measured:.2f}", (x, t.measured), ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([t.short or t.label.replace(": ", "\n") for t in targets], fontsize=8)
    ax.set_ylabel("measured ratio (log scale)")
    title = "gdfast speed-ups (green: target met, red: not met)"
    ax.set_title(title + (" -- quick smoke run" if report.quick else ""))
    ax.legend(loc="upper left")
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------

# The report's sections in the order they run (``--only`` picks some of them).
SECTIONS: dict[str, Callable[[Bench], None]] = {
    "W1": lambda b: b.dense_sgd("W1", b.w.W1, 4.0, float32=True),
    "W2": lambda b: b.dense_sgd("W2", b.w.W2, 8.0),
    "W3": lambda b: b.dense_sgd("W3", b.w.W3, 6.0),
    "W4": Bench.sparse,
    "W5-W6": Bench.minibatch_and_batch,
    "W7": Bench.network,
    "scaling": Bench.scaling,
    "W8": Bench.dask,
    "tiny": Bench.tiny,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 5%% of the rows")
    parser.add_argument("--rounds", type=int, default=None, help="timed runs (default 5)")
    parser.add_argument("--out", type=Path, default=None, help="markdown file to write")
    parser.add_argument("--png", type=Path, default=None, help="bar chart to write")
    parser.add_argument("--json", type=Path, default=None, help="also write every number")
    parser.add_argument(
        "--only", nargs="+", choices=list(SECTIONS), default=None, metavar="SECTION",
        help=f"run only these sections ({', '.join(SECTIONS)}); the report is partial and "
        "goes to build/bench/ unless --out says otherwise",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        os.environ.setdefault("GDFAST_BENCH_SCALE", "0.05")
    quick_dir = REPO_DIR / "build" / "bench"
    # a smoke run or a partial report never overwrites BENCHMARKS.md and the chart
    suffix = ("-" + "-".join(args.only) if args.only else "") + ("-quick" if args.quick else "")
    out = args.out or (
        quick_dir / f"BENCHMARKS{suffix}.md" if suffix else REPO_DIR / "BENCHMARKS.md"
    )
    png = args.png or (
        quick_dir / f"benchmarks{suffix}.png" if suffix else BENCH_DIR / "benchmarks.png"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    png.parent.mkdir(parents=True, exist_ok=True)
    rounds = args.rounds or (2 if args.quick else 5)

    sys.path.insert(0, str(BENCH_DIR))
    start = time.perf_counter()
    report = Report(quick=args.quick, rounds=rounds, only=args.only or [])
    bench = Bench(report)
    report.machine = machine_info(bench)
    most = max(bench.thread_counts)
    before = bench.parallelism()
    for key, value in report.machine.items():
        log(f"{key}: {value}")
    for name, section in SECTIONS.items():
        if not args.only or name in args.only:
            section(bench)
    after = bench.parallelism()
    report.machine["compute parallelism"] = (
        f"{most} concurrent processes of an in-cache loop got {before:.2f} cores' worth at the "
        f"start, {after:.2f} at the end (dedicated cores: {most}.00)"
    )
    report.machine["report runtime"] = f"{time.perf_counter() - start:.0f} s"
    write_chart(report, png)
    write_markdown(report, out, png)
    if args.json:
        data = asdict(report)
        data["targets"] = [dict(asdict(t), met=t.met) for t in report.targets]
        args.json.write_text(json.dumps(data, indent=1, default=str))
    log(f"wrote {out} and {png} in {time.perf_counter() - start:.0f} s")
    for t in report.targets:
        log(
            f"  {'met' if t.met else 'NOT met':8} {t.label}: {t.measured:.3g} (target {t.target:g})"
        )
    return 0


if __name__ == "__main__":
    _rerun_without_openblas_overrides()
    raise SystemExit(main())
