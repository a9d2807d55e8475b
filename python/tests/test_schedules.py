"""descent.schedules: the catalog as LambdaLR factors, against torch's own schedulers where torch
has the same schedule, and at the points each definition fixes."""
import math

import pytest
import torch

import descent


def lrs(scheduler_of, steps):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = scheduler_of(optimizer)
    values = []
    for _ in range(steps):
        values.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return values


@pytest.mark.parametrize("descent_schedule,torch_scheduler", [
    (dict(kind="step", step_size=7, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
    (dict(kind="exponential", gamma=0.9), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    (dict(kind="multistep", milestones=[5, 12], gamma=0.1),
     lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[5, 12], gamma=0.1)),
])
def test_schedules_torch_also_has_give_torchs_numbers(descent_schedule, torch_scheduler):
    factor = descent.schedules.schedule(total_steps=30, **descent_schedule)
    ours = lrs(lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor), 30)
    theirs = lrs(torch_scheduler, 30)
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_decays_start_at_one_and_end_at_final():
    for kind in ("linear", "cosine", "polynomial", "wsd"):
        factor = descent.schedules.schedule(kind, total_steps=100, final=0.1)
        assert factor(0) == pytest.approx(1.0), kind
        assert factor(99) == pytest.approx(0.1, abs=1e-3), kind
    wsd = descent.schedules.schedule("wsd", total_steps=100, decay_fraction=0.2, cooldown="1-sqrt")
    assert wsd(79) == 1.0 and wsd(90) < 1.0
    warm = descent.schedules.schedule("constant", total_steps=100, warmup_steps=10)
    assert warm(0) < warm(5) < warm(10) == 1.0
    assert descent.schedules.schedule("cosine", total_steps=101)(50) == pytest.approx(0.5 * (1 + math.cos(math.pi / 2)), abs=0.02)


def test_bad_schedules_name_the_problem():
    with pytest.raises(ValueError, match="unknown schedule 'cosin'"):
        descent.schedules.schedule("cosin", total_steps=10)
    with pytest.raises(ValueError, match="has no parameter 'gama'"):
        descent.schedules.schedule("step", total_steps=10, gama=0.5)
    with pytest.raises(ValueError, match="gamma = 2 is out of range"):
        descent.schedules.schedule("step", total_steps=10, gamma=2)
    with pytest.raises(ValueError, match="not one of"):
        descent.schedules.schedule("wsd", total_steps=10, cooldown="square")
    assert "wsd" in descent.schedules.names() and "join" not in descent.schedules.names()
