"""descent from Python: its fused optimizers as torch.optim optimizers, its schedules as functions
of the step, and read access to its run store.

    import descent
    optimizer = descent.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=1000)
"""
import torch  # loads LibTorch before descent's extension, which links against it

from . import _C  # noqa: E402
from . import optim, schedules, store  # noqa: E402

__all__ = ["optim", "schedules", "store"]
