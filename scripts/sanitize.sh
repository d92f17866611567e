#!/usr/bin/env bash
# Build gdfast with AddressSanitizer + UndefinedBehaviorSanitizer and run the
# test suite under it. Python itself is not instrumented, so the ASan runtime
# is preloaded; leak detection is off (CPython keeps allocations to exit).
#   bash scripts/sanitize.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${GDFAST_SANITIZE_VENV:-.venv-sanitize}
python3 -m venv "$venv"
# shellcheck disable=SC1091
source "$venv/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q scikit-build-core pybind11 numpy
python -m pip install -q --no-build-isolation ".[test]" \
  -Ccmake.define.GDFAST_SANITIZE=ON -Cbuild-dir=build/sanitize
asan=$(g++ -print-file-name=libasan.so)
ubsan=$(g++ -print-file-name=libubsan.so)
export LD_PRELOAD="$asan:$ubsan"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# ASan's quarantine keeps freed memory resident by design, so the resident-memory
# test measures the sanitizer, not gdfast: it runs in the normal suite only.
python -m pytest -q -p no:cacheprovider \
  --deselect tests/test_reliability.py::test_thousands_of_fits_do_not_grow_memory "$@"
