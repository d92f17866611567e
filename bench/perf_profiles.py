"""Where gdfast's time goes on the standard workloads: ``perf`` profiles into PROFILES.md.

    python bench/perf_profiles.py              # every workload: about 2 minutes; bench/PROFILES.md
    python bench/perf_profiles.py W4 W2        # only these

Each workload's data is made in a child process, which then fits it with gdfast again and
again for a few seconds; ``perf record -e cpu-clock`` attaches to the child for those fits
only (not the data generation), sampling every thread. The report gives, per workload, the
share of the samples by where they fell (gdfast's compiled kernels, NumPy's permutation,
the Python interpreter, the operating system, other libraries) and the hottest instructions
of gdfast's hottest kernel, as ``perf annotate`` prints them.

Reading an instruction profile taken with a software clock: a sample lands on the
instruction *after* the one that stalled (the skid), so a load that waits for memory shows
as the instruction that follows it. BENCHMARKS.md reads these profiles in its section
"What limits the targets not met". Needs Linux ``perf`` and permission to attach
(``kernel.perf_event_paranoid`` <= 2 for your own processes, or root).
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

BENCH_DIR = Path(__file__).resolve().parent


class Profiled(NamedTuple):
    """A workload of ``workloads.py`` as the profile runs it."""

    spec: str  # its name in workloads.py, whose n, d (nnz) and params the child uses
    what: str
    dtype: str = "float64"
    threads: int | None = None  # None: gdfast's default


WORKLOADS: dict[str, Profiled] = {
    "W1": Profiled("W1", "sgd, shuffled"),
    "W1 float32": Profiled("W1", "sgd, shuffled", dtype="float32"),
    "W2": Profiled("W2", "sgd, shuffled (X in the L3 cache)"),
    "W3": Profiled("W3", "sgd, shuffled"),
    "W4": Profiled("W4", "sgd, hinge + l2, shuffled, CSR"),
    "W5": Profiled("W5", "minibatch 32, shuffled", threads=2),
    "W6": Profiled("W6", "batch", threads=2),
}

CHILD = """
import sys, time
import numpy as np
sys.path.insert(0, {bench!r})
import workloads
import gdfast
spec = workloads.{spec}
if "nnz" in spec:
    X, y = workloads.make_sparse_classification(spec["n"], spec["d"], spec["nnz"])
else:
    X, y = workloads.make_regression(spec["n"], spec["d"], np.{dtype})
params = spec["params"]
threads = {threads!r}
if threads is not None:
    gdfast.set_num_threads(threads)
gdfast.fit(X, y, **params)  # warm up
print("ready", flush=True)
sys.stdin.readline()
start = time.perf_counter()
fits = 0
while time.perf_counter() - start < {seconds}:
    gdfast.fit(X, y, **params)
    fits += 1
print("done", fits, flush=True)
"""


def describe(profiled: Profiled) -> str:
    import workloads

    spec = getattr(workloads, profiled.spec)
    shape = f"{spec['n']:,} x {spec['d']:,}"
    if "nnz" in spec:
        shape += f" with {spec['nnz']} non-zeros a row"
    threads = "" if profiled.threads is None else f", {profiled.threads} threads"
    return f"{profiled.what}, {profiled.dtype}, {shape}{threads}"


# Where a sample fell, by the shared object that holds the instruction.
PLACES = (
    ("gdfast's compiled kernels", re.compile(r"^_core\.")),
    ("NumPy: permutations (random)", re.compile(r"^_(generator|pcg64|bounded_integers|common)\.")),
    ("NumPy: other", re.compile(r"^_multiarray|^libscipy_openblas|^libopenblas")),
    ("Python interpreter", re.compile(r"^libpython|^python")),
    ("OpenMP runtime", re.compile(r"^libgomp")),
    ("operating system", re.compile(r"^\[kernel")),
)


def record(name: str, seconds: float, workdir: Path) -> tuple[Path, int]:
    code = CHILD.format(bench=str(BENCH_DIR), seconds=seconds, **WORKLOADS[name]._asdict())
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{name}: the child process failed before its fits")
    data = workdir / (name.replace(" ", "_") + ".data")
    perf = subprocess.Popen(
        ["perf", "record", "-e", "cpu-clock", "-F", "2000", "-p", str(child.pid), "-o", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # perf takes a moment to attach to every thread
    child.stdin.write("go\n")
    child.stdin.flush()
    done = child.stdout.readline().split()
    perf.send_signal(signal.SIGINT)
    perf.wait()
    child.wait()
    return data, int(done[1]) if len(done) == 2 else 0


def shares(data: Path) -> tuple[list[tuple[str, float]], list[tuple[float, str, str]]]:
    """(share by place, the top symbols as (percent, object, symbol))."""
    out = subprocess.run(
        ["perf", "report", "-i", str(data), "--stdio", "--sort", "dso,sym", "--percent-limit",
         "0.01"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    symbols = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)$", line)
        if m:
            symbols.append((float(m.group(1)), m.group(2), m.group(3).strip()))
    totals = {place: 0.0 for place, _ in PLACES}
    other = 0.0
    for percent, dso, _ in symbols:
        for place, pattern in PLACES:
            if pattern.search(dso):
                totals[place] += percent
                break
        else:
            other += percent
    by_place = [(place, totals[place]) for place, _ in PLACES] + [("other libraries", other)]
    return by_place, symbols


def hottest_instructions(data: Path, symbol: str, count: int = 12) -> list[tuple[float, str]]:
    out = subprocess.run(
        ["perf", "annotate", "-i", str(data), "--stdio", "-s", symbol],
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    lines = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)\s*:\s+([0-9a-f]+):\s+(.*)$", line)
        if m and float(m.group(1)) > 0:
            text = re.sub(r"\s+<.*", "", m.group(3)).strip()  # drop long jump targets
            lines.append((float(m.group(1)), text))
    return sorted(lines, reverse=True)[:count]


def short(symbol: str, limit: int = 110) -> str:
    return symbol if len(symbol) <= limit else symbol[: limit - 3] + "..."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workloads", nargs="*", help=f"of {', '.join(WORKLOADS)} (default all)")
    parser.add_argument("--seconds", type=float, default=4.0, help="profiled seconds a workload")
    parser.add_argument("--out", default=str(BENCH_DIR / "PROFILES.md"))
    args = parser.parse_args()
    if shutil.which("perf") is None:
        sys.exit("perf_profiles.py: needs Linux perf (apt install linux-perf)")
    names = args.workloads or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        known = ", ".join(WORKLOADS)
        sys.exit(f"perf_profiles.py: unknown workload {unknown[0]!r}; one of {known}")

    import gdfast
    import gdfast._core as core

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCH_DIR
    ).stdout.strip()
    md = [
        "# Where gdfast's time goes: profiles",
        "",
        f"Written by `python bench/perf_profiles.py` on {now} (git {commit}, gdfast "
        f"{gdfast.__version__}, kernels {core.isa}). `perf record -e cpu-clock` attached to a "
        "process that fits the workload with gdfast again and again (after one warm-up fit; "
        "the data generation is not in the profile). A sample lands on the instruction after "
        "the one that stalled, so a load that waits for memory shows on the instruction that "
        "follows it. BENCHMARKS.md reads these profiles in 'What limits the targets not met'.",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            print(f"profiling {name} ...", flush=True)
            data, fits = record(name, args.seconds, Path(tmp))
            by_place, symbols = shares(data)
            md += [f"## {name}", "", f"{describe(WORKLOADS[name])}; {fits} fits profiled.", ""]
            md += ["| where the samples fell | share |", "|---|---|"]
            md += [f"| {place} | {pct:.1f}% |" for place, pct in by_place if pct >= 0.05]
            md += ["", "The top symbols:", "", "| share | object | symbol |", "|---|---|---|"]
            md += [f"| {p:.1f}% | {dso} | `{short(sym)}` |" for p, dso, sym in symbols[:6]]
            kernels = [s for s in symbols if PLACES[0][1].search(s[1])]
            if kernels:
                top = kernels[0]
                md += ["", f"The hottest instructions of `{short(top[2], 80)}` "
                       "(share of that symbol's samples):", "", "```"]  # fmt: skip
                md += [f"{pct:6.2f}%  {text}" for pct, text in hottest_instructions(data, top[2])]
                md += ["```"]
            md.append("")
    Path(args.out).write_text("\n".join(md))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
