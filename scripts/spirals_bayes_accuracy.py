#!/usr/bin/env python3
"""The Bayes accuracy of descent's two-spirals data (src/data/synthetic.cpp, two_spirals), by Monte Carlo.

A point of class c is r (cos a, sin a) plus N(0, noise^2 I), with theta uniform on [0, 3 pi],
r = theta / (3 pi) and a = theta + pi c. The Bayes classifier picks the class with the larger
likelihood, the likelihood being the mean of the Gaussian density over a fine grid of theta. Its
accuracy bounds what any model can reach on this data (experiments/neural_ode/study.toml cites it).
Usage: spirals_bayes_accuracy.py [noise] [points]
"""
import sys

import numpy as np


def likelihood(points, label, noise, grid):
    radius = grid / (3 * np.pi)
    angle = grid + np.pi * label
    curve = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    squared = ((points[:, None, :] - curve[None, :, :]) ** 2).sum(-1)
    return np.exp(-squared / (2 * noise**2)).mean(axis=1)


def bayes_accuracy(noise, points, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, points)
    theta = 3 * np.pi * rng.random(points)
    radius = theta / (3 * np.pi)
    angle = theta + np.pi * labels
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1) + noise * rng.normal(size=(points, 2))
    grid = np.linspace(0, 3 * np.pi, 6000)
    correct = 0
    for start in range(0, points, 1000):
        chunk = x[start:start + 1000]
        guess = (likelihood(chunk, 1, noise, grid) > likelihood(chunk, 0, noise, grid)).astype(int)
        correct += int((guess == labels[start:start + 1000]).sum())
    return correct / points


if __name__ == "__main__":
    noise = float(sys.argv[1]) if len(sys.argv) > 1 else 0.05
    points = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    print(f"Bayes accuracy of two spirals at noise {noise}: {bayes_accuracy(noise, points):.4f} ({points} points)")
