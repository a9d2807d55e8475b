"""descent.optim: every registry optimizer as a torch.optim.Optimizer.

Oracles: descent's buffer front end in C++ (no LibTorch, no Python in its loop) for every
optimizer, and torch.optim itself for the baselines torch has."""
import copy
import io

import pytest
import torch

import descent
from descent import _C

ALL = descent.optim.names()

# Hyperparameters away from the defaults, so that every term of each rule is exercised.
SETTINGS = {
    "adabelief": dict(lr=0.01, weight_decay=0.1), "adadelta": dict(lr=0.5, weight_decay=0.01),
    "adagrad": dict(lr=0.05, lr_decay=0.01, weight_decay=0.01), "adagrad_norm": dict(lr=0.5),
    "adam": dict(lr=0.01, weight_decay=0.01, amsgrad=True), "adamw": dict(lr=0.01, weight_decay=0.1),
    "amsgrad": dict(lr=0.01), "diffgrad": dict(lr=0.01, weight_decay=0.01), "exadam": dict(lr=0.01),
    "lamb": dict(lr=0.01, weight_decay=0.01), "lion": dict(lr=1e-3, weight_decay=0.1),
    "lion_l2": dict(lr=1e-3, weight_decay=0.1), "loss_normalized_gd": dict(lr=0.05),
    "normalized_gd": dict(lr=0.05), "rmsprop": dict(lr=0.01, momentum=0.9, centered=True),
    "sgd": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01), "sign_sgd": dict(lr=0.01),
}


def as_core_numbers(name, settings):
    """The settings as the C++ core takes them (booleans 0/1)."""
    return {key: float(value) for key, value in settings.items()}


def python_trajectory(name, start, gradients, losses, dtype):
    p = torch.nn.Parameter(start.clone().to(dtype))
    optimizer = descent.optim.by_name(name)([p], **SETTINGS[name])
    path = []
    for t in range(gradients.shape[0]):
        p.grad = gradients[t].to(dtype).clone()
        optimizer.step(lambda: torch.tensor(losses[t], dtype=torch.float64))
        path.append(p.detach().clone())
    return torch.stack(path)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_every_optimizer_steps_as_the_cpp_buffer_front_end_does(name, dtype):
    assert name in SETTINGS, f"add {name} to SETTINGS"
    generator = torch.Generator().manual_seed(7)
    start = torch.randn(37, generator=generator, dtype=torch.float64)
    gradients = torch.randn(12, 37, generator=generator, dtype=torch.float64)
    losses = [1.0 + 0.1 * t for t in range(12)]
    expected = _C.buffer_trajectory(name, as_core_numbers(name, SETTINGS[name]), start.to(dtype), gradients.to(dtype), losses)
    actual = python_trajectory(name, start, gradients, losses, dtype)
    assert torch.equal(actual, expected), f"{name}: max difference {(actual - expected).abs().max().item()}"


def mlp(dtype=torch.float64):
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)).to(dtype)


def batches(n=25, dtype=torch.float64):
    generator = torch.Generator().manual_seed(11)
    return [(torch.randn(32, 6, generator=generator, dtype=dtype), torch.randint(0, 3, (32,), generator=generator))
            for _ in range(n)]


def train(model, optimizer, data, scheduler=None):
    for x, y in data:
        def closure():
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            return loss
        optimizer.step(closure)
        if scheduler is not None:
            scheduler.step()
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


TORCH_BASELINES = [
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01)),
]


@pytest.mark.parametrize("class_name,settings", TORCH_BASELINES)
def test_baselines_follow_torch_optim(class_name, settings):
    data = batches()
    ours_model, theirs_model = mlp(), mlp()
    ours = train(ours_model, getattr(descent.optim, class_name)(ours_model.parameters(), **settings), data)
    theirs = train(theirs_model, getattr(torch.optim, class_name)(theirs_model.parameters(), **settings), data)
    torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


def test_torch_schedulers_drive_it_unchanged_with_per_group_rates():
    """OneCycleLR sets each group's lr and cycles its betas; StepLR too. Two groups, two rates."""
    data = batches(40)
    runs = {}
    for library in (descent.optim, torch.optim):
        model = mlp()
        groups = [{"params": model[0].parameters(), "lr": 0.01}, {"params": model[2].parameters(), "lr": 0.003}]
        optimizer = library.AdamW(groups, weight_decay=0.05)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[0.02, 0.005], total_steps=len(data))
        runs[library.__name__] = train(model, optimizer, data, scheduler)
        assert optimizer.param_groups[0]["betas"] != (0.9, 0.999)  # cycled by the scheduler
    torch.testing.assert_close(runs["descent.optim"], runs["torch.optim"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["adam", "adagrad_norm", "lion", "diffgrad", "exadam", "rmsprop"])
def test_state_dict_round_trips_and_resumes_bit_for_bit(name):
    data = batches(20, torch.float32)
    straight_model = mlp(torch.float32)
    straight = train(straight_model, descent.optim.by_name(name)(straight_model.parameters(), **SETTINGS[name]), data)

    model = mlp(torch.float32)
    optimizer = descent.optim.by_name(name)(model.parameters(), **SETTINGS[name])
    train(model, optimizer, data[:10])
    saved = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, saved)
    saved.seek(0)
    checkpoint = torch.load(saved)

    resumed_model = mlp(torch.float32)
    resumed_model.load_state_dict(checkpoint["model"])
    resumed_optimizer = descent.optim.by_name(name)(resumed_model.parameters(), **SETTINGS[name])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    assert resumed_optimizer.state_dict()["state"][0]["step"].item() == 10
    resumed = train(resumed_model, resumed_optimizer, data[10:])
    assert torch.equal(resumed, straight)


def test_steps_in_place_and_state_is_the_cores_memory():
    model = mlp()
    optimizer = descent.optim.Adam(model.parameters(), lr=0.01)
    weight = model[0].weight
    address = weight.data_ptr()
    train(model, optimizer, batches(2))
    assert weight.data_ptr() == address
    state = optimizer.state[weight]
    assert set(state) >= {"m", "v", "step"}
    m_address = state["m"].data_ptr()
    before = state["m"].clone()
    train(model, optimizer, batches(1))
    assert optimizer.state[weight]["m"].data_ptr() == m_address
    assert not torch.equal(optimizer.state[weight]["m"], before)


def test_add_param_group_keeps_the_earlier_groups_state():
    model = mlp()
    optimizer = descent.optim.Adam(model[0].parameters(), lr=0.01)
    train(model, optimizer, batches(3))
    m_before = optimizer.state[model[0].weight]["m"].clone()
    optimizer.add_param_group({"params": model[2].parameters(), "lr": 0.001})
    assert torch.equal(optimizer.state[model[0].weight]["m"], m_before)
    assert torch.count_nonzero(optimizer.state[model[2].weight]["m"]) == 0
    last_layer = model[2].weight.detach().clone()
    train(model, optimizer, batches(1))
    assert not torch.equal(model[2].weight, last_layer)


def test_bad_hyperparameters_name_the_key():
    model = mlp()
    with pytest.raises(TypeError, match="unknown hyperparameter 'momentun'"):
        descent.optim.SGD(model.parameters(), lr=0.1, momentun=0.9)
    with pytest.raises(ValueError, match="lr = -1 is out of range"):
        descent.optim.Adam(model.parameters(), lr=-1)
    optimizer = descent.optim.Adam(model.parameters(), lr=0.01)
    optimizer.param_groups[0]["betas"] = (1.5, 0.999)
    with pytest.raises(ValueError, match="beta1 = 1.5 is out of range"):
        train(model, optimizer, batches(1))
    with pytest.raises(ValueError, match="int64|float32 or float64"):
        descent.optim.Adam([torch.zeros(3, dtype=torch.int64, requires_grad=False)])


def test_every_class_is_documented_from_the_registry():
    for name in ALL:
        cls = descent.optim.by_name(name)
        assert issubclass(cls, torch.optim.Optimizer)
        assert cls.descent_name == name
        assert "Paper:" in cls.__doc__ and "lr = " in cls.__doc__
