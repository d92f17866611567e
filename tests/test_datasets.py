"""gdfast.datasets: the shipped table and the seeded digit generator."""

from __future__ import annotations

import numpy as np
import pytest

from gdfast.datasets import load_houses, make_segment_digits

# the pixels each digit inks in its 7 x 5 box, counted by hand from a seven-segment
# display: horizontal segments (top, middle, bottom) 3 pixels, vertical ones 2
INKED = {0: 14, 1: 4, 2: 13, 3: 13, 4: 9, 5: 13, 6: 15, 7: 7, 8: 17, 9: 15}


def test_segment_digits_are_seeded_shaped_and_cover_every_digit():
    X, y = make_segment_digits(500, random_state=3)
    again, y_again = make_segment_digits(500, random_state=3)
    other, _ = make_segment_digits(500, random_state=4)
    np.testing.assert_array_equal(X, again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.array_equal(X, other)
    assert X.shape == (500, 63) and X.dtype == np.float64 and y.dtype == np.int64
    assert set(y.tolist()) == set(range(10))
    assert make_segment_digits(10, max_shift=2)[0].shape == (10, 11 * 9)


def test_noiseless_glyphs_ink_the_segments_of_their_digit_inside_the_canvas():
    X, y = make_segment_digits(300, noise=0.0, random_state=0)
    glyphs = X.reshape(-1, 9, 7)
    for glyph, digit in zip(glyphs, y):
        inked = glyph > 0
        assert inked.sum() == INKED[int(digit)]
        ink = glyph[inked]
        assert np.all((ink >= 0.7) & (ink <= 1.0)) and np.ptp(ink) == 0  # one strength a glyph
        rows, cols = np.nonzero(inked)
        assert rows.max() - rows.min() <= 6 and cols.max() - cols.min() <= 4
    # a shift of up to one pixel each way: a glyph's top-left corner moves over 3 x 3 places
    eights = glyphs[y == 8] > 0
    corners = {(int(np.nonzero(g)[0].min()), int(np.nonzero(g)[1].min())) for g in eights}
    assert corners <= {(r, c) for r in range(3) for c in range(3)} and len(corners) > 4


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n_samples=0), "n_samples"),
        (dict(n_samples=2.5), "n_samples"),
        (dict(noise=-1.0), "noise"),
        (dict(noise=float("nan")), "noise"),
        (dict(max_shift=-1), "max_shift"),
    ],
)
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_segment_digits(**kwargs)


def test_houses_table_loads():
    X, y, names = load_houses()
    assert X.shape == (10_000, 6) and y.shape == (10_000,) and len(names) == 6
