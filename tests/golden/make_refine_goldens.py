#!/usr/bin/python3
"""Oracles for descent's schedule refinement, from numpy and scipy.

Median filters on crafted edge cases (scipy.ndimage.median_filter, modes 'nearest' and 'reflect'),
numpy.pad 'reflect', and the whole refinement of facebookresearch/adaptive_scheduling's
find_schedule.py (smoothing, weights, closed-form schedule, normalization), re-implemented here
from that file's steps with numpy/scipy calls.

    /usr/bin/python3 tests/golden/make_refine_goldens.py > tests/golden/refine.json
"""
import json

import numpy as np
from scipy.ndimage import median_filter


def closed_form(norms, l1):
    w = 1.0 / norms if l1 else 1.0 / norms ** 2
    s = np.array([w[t] * w[t + 1:].sum() / w.sum() for t in range(len(w))])
    return s / s.max()


def refine(norms, l1, n_vals=10000):
    g = np.asarray(norms, dtype=np.float64)
    if len(g) < n_vals:
        g = np.interp(np.linspace(0, 1, n_vals), np.linspace(0, 1, len(g)), g)
    width = 2 * int(0.1 * n_vals / 2) + 1
    smoothed = median_filter(np.pad(g, (0, 2 * width), "reflect"), size=width, mode="nearest")[:-2 * width]
    smoothed = np.interp(np.linspace(0, 1, n_vals), np.linspace(0, 1, len(smoothed)), smoothed)
    return closed_form(smoothed, l1)


def main():
    signals = [[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], [1.0, 2.0], [7.0], [5.0, 0.0, 0.0, 5.0, 5.0, 0.0, 1.0]]
    filters = []
    for x in signals:
        for size in (1, 3, 5, 7):
            for mode in ("nearest", "reflect"):
                filters.append({"x": x, "size": size, "mode": mode,
                                "out": median_filter(np.array(x), size=size, mode=mode).tolist()})
    pads = [{"x": x, "count": c, "out": np.pad(np.array(x), (0, c), "reflect").tolist()}
            for x in ([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0]) for c in (1, 3, 7)]
    rng = np.random.default_rng(0)
    # A decaying noisy trace of 300 steps: the shape a real run's norms take.
    trace = (5.0 * np.exp(-np.arange(300) / 60.0) + 1.0 + 0.2 * rng.random(300)).tolist()
    refined = {"trace": trace, "l2": refine(trace, False)[::100].tolist(), "l1": refine(trace, True)[::100].tolist()}
    print(json.dumps({"median_filter": filters, "pad_reflect": pads, "refine_every_100th": refined}))


if __name__ == "__main__":
    main()
