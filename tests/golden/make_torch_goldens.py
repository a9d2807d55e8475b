#!/usr/bin/python3
"""Golden optimizer trajectories from python3-torch (1.13), the oracle for descent's optimizers.

The "model" is fixed and float64: 12 parameters in two tensors (a 3x2 matrix and a 6-vector),
with the gradient given in closed form, g = a * x + 0.5 * cos(3 x), so that descent's test can
compute exactly the same gradient without autograd. Each case runs 30 steps of one torch.optim
optimizer and records the parameters after every step.

    /usr/bin/python3 tests/golden/make_torch_goldens.py > tests/golden/torch_optimizers.json
"""
import json

import torch

STEPS = 30
INITIAL = [0.5, -1.2, 2.0, 0.3, -0.7, 1.5, 0.9, -2.2, 0.05, 1.1, -0.4, 0.8]
COEFFICIENTS = [1.0, 3.0, 0.5, 10.0, 2.0, 0.1, 4.0, 1.5, 7.0, 0.3, 5.0, 2.5]

# (descent name, descent hyperparameters, torch class, torch keyword arguments)
CASES = [
    ("sgd", {"lr": 0.05}, torch.optim.SGD, {"lr": 0.05}),
    ("sgd", {"lr": 0.05, "momentum": 0.9}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1}, torch.optim.SGD,
     {"lr": 0.05, "momentum": 0.9, "dampening": 0.1}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": 1}, torch.optim.SGD,
     {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}, torch.optim.SGD,
     {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}),
    ("adagrad", {"lr": 0.1}, torch.optim.Adagrad, {"lr": 0.1}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1},
     torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("adadelta", {"lr": 1.0}, torch.optim.Adadelta, {"lr": 1.0}),
    ("adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01}, torch.optim.Adadelta,
     {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01}),
    ("rmsprop", {"lr": 0.01}, torch.optim.RMSprop, {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "centered": 1}, torch.optim.RMSprop, {"lr": 0.01, "centered": True}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9}, torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.9}),
    ("rmsprop", {"lr": 0.01, "centered": 1, "momentum": 0.5, "weight_decay": 0.01, "alpha": 0.9},
     torch.optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.01, "alpha": 0.9}),
    ("adam", {"lr": 0.01}, torch.optim.Adam, {"lr": 0.01}),
    ("adam", {"lr": 0.01, "weight_decay": 0.01, "beta1": 0.8, "beta2": 0.99}, torch.optim.Adam,
     {"lr": 0.01, "weight_decay": 0.01, "betas": (0.8, 0.99)}),
    ("adam", {"lr": 0.01, "amsgrad": 1}, torch.optim.Adam, {"lr": 0.01, "amsgrad": True}),
    ("amsgrad", {"lr": 0.02, "eps": 1e-6}, torch.optim.Adam, {"lr": 0.02, "eps": 1e-6, "amsgrad": True}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1}, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": 1}, torch.optim.AdamW,
     {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
]


def trajectory(optimizer_class, kwargs):
    flat = torch.tensor(INITIAL, dtype=torch.float64)
    a = torch.tensor(COEFFICIENTS, dtype=torch.float64)
    matrix = flat[:6].clone().reshape(3, 2).requires_grad_(True)
    vector = flat[6:].clone().requires_grad_(True)
    optimizer = optimizer_class([matrix, vector], **kwargs)
    steps = []
    for _ in range(STEPS):
        with torch.no_grad():
            x = torch.cat([matrix.reshape(-1), vector])
            g = a * x + 0.5 * torch.cos(3.0 * x)
            matrix.grad = g[:6].reshape(3, 2).clone()
            vector.grad = g[6:].clone()
        optimizer.step()
        steps.append(torch.cat([matrix.detach().reshape(-1), vector.detach()]).tolist())
    return steps


def main():
    cases = [{"optimizer": name, "hyper": hyper, "torch": f"{cls.__name__}({kwargs})",
              "trajectory": trajectory(cls, kwargs)} for name, hyper, cls, kwargs in CASES]
    print(json.dumps({"torch_version": torch.__version__, "steps": STEPS, "initial": INITIAL,
                      "coefficients": COEFFICIENTS, "cases": cases}))


if __name__ == "__main__":
    main()
