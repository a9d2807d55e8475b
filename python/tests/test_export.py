"""descent export: TensorBoard event files read back with protobuf (python3-protobuf) against the
public schema (tensorflow/core/util/event.proto, framework/summary.proto, the fields descent
writes), TFRecord CRC-32C checked; and the tidy CSV against the store."""
import csv
import io
import struct
import subprocess

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import descent
from conftest import descent_binary, run_study

STUDY = """
[study]
name = "export"
seeds = [0, 1]
[data]
dataset = "gaussian-mixture"
train_size = 256
[model]
hidden = [8]
[train]
epochs = 2
batch_size = 32
[[optimizers]]
name = "adam"
lr = 0.01
"""


def tensorboard_messages():
    """Event and Summary as event.proto and summary.proto define them (the fields descent uses)."""
    F = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name="tb_subset.proto", package="tensorboard")
    summary = proto.message_type.add(name="Summary")
    value = summary.nested_type.add(name="Value")
    value.field.add(name="tag", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    value.field.add(name="simple_value", number=2, type=F.TYPE_FLOAT, label=F.LABEL_OPTIONAL)
    summary.field.add(name="value", number=1, type=F.TYPE_MESSAGE, type_name=".tensorboard.Summary.Value",
                      label=F.LABEL_REPEATED)
    event = proto.message_type.add(name="Event")
    event.field.add(name="wall_time", number=1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    event.field.add(name="step", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    event.field.add(name="file_version", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    event.field.add(name="summary", number=5, type=F.TYPE_MESSAGE, type_name=".tensorboard.Summary",
                    label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("tensorboard.Event"))


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(data):
    """TFRecord frames: u64 length, masked CRC of the length bytes, data, masked CRC of the data."""
    at = 0
    while at < len(data):
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        assert length_crc == masked(crc32c(header))
        body = data[at + 12:at + 12 + length]
        (body_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        assert body_crc == masked(crc32c(body))
        yield body
        at += 16 + length


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    run_study(folder, STUDY)
    return folder


def test_tensorboard_event_files_parse_and_hold_every_metric(study):
    subprocess.run([descent_binary(), "export", "tensorboard", "export", "tb", "--store", "runs.db"],
                   cwd=study, check=True, capture_output=True)
    Event = tensorboard_messages()
    with descent.store.open(study / "runs.db") as store:
        runs = store.runs("export")
        assert len(runs) == 2
        for run in runs:
            files = list((study / "tb" / f"adam-seed{run['seed']}").glob("events.out.tfevents.*"))
            assert len(files) == 1
            events = [Event.FromString(body) for body in records(files[0].read_bytes())]
            assert events[0].file_version == "brain.Event:2"
            scalars = {}
            for e in events[1:]:
                (value,) = e.summary.value
                scalars.setdefault(value.tag, []).append((e.step, value.simple_value))
            metrics = store.metrics(run["id"])
            assert set(scalars) == set(metrics)
            for name, (steps, values) in metrics.items():
                got_steps, got_values = zip(*scalars[name])
                assert list(got_steps) == steps.tolist()
                assert list(got_values) == pytest.approx(values.tolist(), rel=1e-6)  # simple_value is a float


def test_csv_export_is_tidy_and_equals_the_store(study):
    result = subprocess.run([descent_binary(), "export", "csv", "export", "--store", "runs.db"],
                            cwd=study, check=True, capture_output=True, text=True)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["run", "optimizer", "seed", "step", "name", "value"]
    with descent.store.open(study / "runs.db") as store:
        expected = 0
        for run in store.runs("export"):
            for name, (steps, values) in store.metrics(run["id"]).items():
                mine = [(int(r["step"]), float(r["value"])) for r in rows if int(r["run"]) == run["id"] and r["name"] == name]
                assert mine == list(zip(steps.tolist(), values.tolist()))  # 17 significant digits: exact
                expected += len(steps)
        assert len(rows) == expected
    missing = subprocess.run([descent_binary(), "export", "csv", "nope", "--store", "runs.db"], cwd=study,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no study named 'nope'" in missing.stderr


def test_train_tensorboard_writes_events_while_training_and_changes_no_run_key(study):
    live = subprocess.run([descent_binary(), "study", "study.toml", "--store", "live.db", "--report-dir", "reports",
                           "train.tensorboard=live-tb"], cwd=study, check=True, capture_output=True, text=True)
    Event = tensorboard_messages()
    files = list((study / "live-tb" / "export" / "adam-seed0").glob("events.out.tfevents.*"))
    assert len(files) == 1, live.stderr
    events = [Event.FromString(body) for body in records(files[0].read_bytes())]
    assert events[0].file_version == "brain.Event:2"
    tags = {}
    for e in events[1:]:
        (value,) = e.summary.value
        tags.setdefault(value.tag, []).append(e.step)
    steps_per_epoch = 256 // 32
    assert tags["train_loss"] == list(range(1, 2 * steps_per_epoch + 1))  # every step of both epochs
    assert tags["lr"] == tags["train_loss"]
    assert tags["test_accuracy"] == [steps_per_epoch, 2 * steps_per_epoch]
    # Where events go is not part of the experiment: the same study without it finds its runs done.
    again = subprocess.run([descent_binary(), "study", "study.toml", "--store", "live.db", "--report-dir", "reports"],
                           cwd=study, check=True, capture_output=True, text=True)
    assert "skipped 2 already stored" in again.stderr
