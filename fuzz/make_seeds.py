#!/usr/bin/env python3
"""Writes the committed seed corpora of fuzz/ (run once; the files are in the repository).

Each seed is a small valid input of its reader, so that the fuzzer starts from inputs that get
past the first checks. Study files come from examples/ and the bad-input corpus (tests/bad_inputs)."""
import gzip
import io
import json
import pathlib
import struct
import subprocess
import zipfile

here = pathlib.Path(__file__).resolve().parent
root = here.parent
corpus = here / "corpus"


def write(folder, name, data):
    path = corpus / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def idx(dims, values):
    header = bytes([0, 0, 0x08, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + bytes(values)


# Study files, and the same with overrides after a "%%" line.
write("config", "quickstart.toml", (root / "examples" / "quickstart.toml").read_text())
for case in sorted((root / "tests" / "bad_inputs").glob("*.json")):
    spec = json.loads(case.read_text())
    for name, text in spec.get("files", {}).items():
        if name.endswith(".toml"):
            overrides = [a for a in spec.get("args", []) if "=" in a and not a.startswith("-")]
            write("config", case.stem + ".toml", text + ("\n%%\n" + "\n".join(overrides) if overrides else ""))
write("config", "overrides.toml", (root / "examples" / "quickstart.toml").read_text() +
      "\n%%\noptimizers[1].lr=0.01\ntrain.epochs=3\nschedule.kind=\"wsd\"\n")

# IDX: labels (rank 1) and images (rank 3), plain and gzip-compressed.
labels = idx([10], range(10))
images = idx([2, 4, 4], range(32))
for name, data in {"labels.idx": labels, "images.idx": images}.items():
    write("idx", name, data)
    write("idx", name + ".gz", gzip.compress(data, mtime=0))

# Refined schedules as `descent refine` writes them.
write("refined_schedule", "refined.json", json.dumps(
    {"values": [1.0, 0.9, 0.7, 0.4, 0.1, 0.0], "run": 3, "optimizer": "adam", "norm": "grad_norm",
     "smoothed": True, "steps": 6}))
write("refined_schedule", "two.json", '{"values": [0.5, 0.25]}')

# The loop state of a checkpoint (train/loop_state.cpp's loop_state_json).
write("loop_state", "loop.json", json.dumps(
    {"step": 1234, "samples": 157952, "epoch": 2, "position": 37952, "next_evaluation": 160000,
     "window_steps": 7, "window_loss": 12.5, "window_bits": 3e6, "initial_loss": 2.302585,
     "batch": 128, "metrics": [[10, "train_loss", 0.69], [20, "test_accuracy", 0.87]],
     "summary": {"best_test_accuracy": 0.87}}))

# Checkpoint archives: stored ZIP files as LibTorch writes them (its entries are never deflated),
# one with ZIP64 local headers, and a real LibTorch archive written by Debian's python3-torch.
def stored_zip(force_zip64):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in [("run/data.pkl", b"\x80\x02}q\x00."), ("run/data/0", bytes(range(256)) * 4),
                           ("run/version", b"3\n")]:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=force_zip64) as entry:
                entry.write(data)
    return out.getvalue()


write("checkpoint_archive", "stored.zip", stored_zip(False))
write("checkpoint_archive", "stored-zip64.zip", stored_zip(True))
torch_seed = corpus / "checkpoint_archive" / "torch.pt"
subprocess.run(["/usr/bin/python3", "-c", "import sys, torch; torch.manual_seed(0); "
                "torch.save({'w': torch.randn(4, 3), 'step': 7}, sys.argv[1])", str(torch_seed)], check=True)

# NumPy arrays: the files numpy wrote for tests/test_npy.cpp (tests/data/make_npy_fixtures.py).
for fixture in sorted(p for p in (root / "tests" / "data" / "npy").iterdir() if p.is_file()):
    write("npy", fixture.name, fixture.read_bytes())
