"""Regenerate src/gdfast/data/houses.csv, the demo data set shipped with gdfast.

A synthetic housing table (seeded, so the file is reproducible): the price is a
linear function of the features plus noise, so least squares is the right model
and its optimum is known.

    python scripts/make_demo_data.py
"""

from pathlib import Path

import numpy as np

N_ROWS = 10_000


def main() -> None:
    rng = np.random.default_rng(2026)
    area = rng.gamma(9.0, 11.0, N_ROWS)  # m^2
    rooms = np.clip(np.round(area / 25 + rng.normal(0, 0.7, N_ROWS)), 1, None)
    age = rng.uniform(0, 80, N_ROWS)  # years
    distance = rng.exponential(8.0, N_ROWS)  # km to the centre
    floor = rng.integers(0, 12, N_ROWS)
    garden = (rng.uniform(size=N_ROWS) < 0.3).astype(float)
    price = (
        40 + 2.1 * area + 9.0 * rooms - 0.8 * age - 4.5 * distance + 1.2 * floor + 25 * garden
        + rng.normal(0, 20, N_ROWS)
    )  # fmt: skip
    out = Path(__file__).resolve().parents[1] / "src" / "gdfast" / "data" / "houses.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    header = "area_m2,rooms,age_years,distance_km,floor,garden,price_k"
    table = np.column_stack([area, rooms, age, distance, floor, garden, price])
    np.savetxt(out, table, delimiter=",", header=header, comments="", fmt="%.2f")
    print(f"wrote {out} ({N_ROWS} rows)")


if __name__ == "__main__":
    main()
