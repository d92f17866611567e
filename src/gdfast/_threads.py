"""The thread count: the only global state gdfast keeps."""

from __future__ import annotations

from . import _core

_num_threads: int | None = None


def get_num_threads() -> int:
    """Return the number of threads gdfast uses when a fit does not say.

    Returns
    -------
    int
        The value given to :func:`set_num_threads`, or else what OpenMP would use
        (1 when gdfast was built without OpenMP).

    Examples
    --------
    >>> import gdfast
    >>> gdfast.get_num_threads() >= 1
    True
    """
    return _num_threads if _num_threads is not None else int(_core.max_threads())


def set_num_threads(n_threads: int | None) -> None:
    """Set the number of threads gdfast uses when a fit does not say.

    Parameters
    ----------
    n_threads : int or None
        A positive count, or None to go back to OpenMP's default.

    Examples
    --------
    >>> import gdfast
    >>> gdfast.set_num_threads(1)
    >>> gdfast.get_num_threads()
    1
    >>> gdfast.set_num_threads(None)
    """
    global _num_threads
    if n_threads is not None and (
        isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1
    ):
        raise ValueError(f"n_threads: expected a positive int or None, got {n_threads!r}")
    _num_threads = n_threads
