"""The Train section: runs of :func:`convolab.train.fit` in background threads, stoppable."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convolab import data, models
from convolab import train as training
from convolab.lab.inputs import BadInput, choice, integer, number
from convolab.lab.inputs import field as body_field
from convolab.lab.network import Entry, Models

MAX_RUNNING = 2


@dataclass
class Job:
    """One training run: its settings, the stream of progress events, and a stop flag."""

    key: str
    settings: dict[str, Any]
    source: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    status: str = "starting"
    message: str = ""
    model_id: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(event)

    def since(self, n: int) -> dict[str, Any]:
        with self.lock:
            return {"id": self.key, "status": self.status, "message": self.message,
                    "model": self.model_id, "events": self.events[n:], "next": len(self.events),
                    "settings": self.settings}  # fmt: skip


class Jobs:
    """The runs of this lab; data may come from the built-in sets or the folders named at start."""

    def __init__(self, registry: Models, folders: tuple[Path, ...] = ()) -> None:
        self.registry = registry
        self.named = tuple(str(f) for f in folders)  # as the command line wrote them
        self.folders = tuple(Path(f).resolve() for f in folders)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def data_choices(self) -> list[str]:
        return [*data.DATASET_NAMES, *self.named]

    def _data(self, value: Any) -> tuple[str, str]:
        """``(as given, what to load)``: a built-in name, or a folder inside a named one."""
        if value in data.DATASET_NAMES:
            return value, value
        if not isinstance(value, str):
            raise BadInput(f"`data` must be a data set name or a folder; got {value!r}")
        path = Path(value).expanduser().resolve()
        if not any(path == f or f in path.parents for f in self.folders):
            named = ", ".join(self.named) or "none"
            raise BadInput(f"`data` {value!r} is outside the folders named on the command line "
                           f"(--data: {named}); built-in sets: "
                           f"{', '.join(data.DATASET_NAMES)}", 403)  # fmt: skip
        if not path.is_dir():
            raise BadInput(f"`data` {value!r} is not a folder", 404)
        return value, str(path)

    def start(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/train/start``: validate the settings and start the run in a thread."""
        settings = {
            "model": choice(body, "model", models.MODEL_NAMES, "lenet5"),
            "data": body_field(body, "data", "ocr-digits"),
            "epochs": integer(body, "epochs", 1, 50, 2),
            "batch_size": integer(body, "batch_size", 1, 1024, 64),
            "limit": integer(body, "limit", 10, 60000, 1000),
            "seed": integer(body, "seed", 0, 2**31 - 1, 0),
            "optimizer": choice(body, "optimizer", ("adam", "sgd"), "adam"),
        }
        settings["data"], load_from = self._data(settings["data"])
        lr = body.get("lr")
        settings["lr"] = models.DEFAULT_LR[settings["model"]] if lr is None else number(
            body, "lr", 1e-6, 10.0)  # fmt: skip
        with self._lock:
            running = sum(j.status in ("starting", "loading data", "running")
                          for j in self._jobs.values())  # fmt: skip
            if running >= MAX_RUNNING:
                raise BadInput(f"{running} runs are in progress; stop one first", 429)
            key = f"run-{len(self._jobs) + 1}"
            job = Job(key, settings, source=load_from)
            self._jobs[key] = job
        threading.Thread(target=self._run, args=(job,), name=f"lab-{key}", daemon=True).start()
        return job.since(0)

    def get(self, key: Any) -> Job:
        with self._lock:
            job = self._jobs.get(key) if isinstance(key, str) else None
        if job is None:
            raise BadInput(f"unknown run {key!r}", 404)
        return job

    def _run(self, job: Job) -> None:
        s = job.settings
        job.status = "loading data"
        try:
            generated = s["data"] in ("ocr-digits", "shapes1d")  # sized when generated
            train_ds, test_ds = data.load_splits(job.source, seed=s["seed"],
                                                 n=s["limit"] if generated else None)  # fmt: skip
            train_ds = data.random_subset(train_ds, s["limit"], s["seed"])
            test_ds = data.random_subset(test_ds, max(s["limit"] // 5, 10), s["seed"])
            shape = list(train_ds.x.shape[1:])
            model = models.build(s["model"], shape, train_ds.num_classes, seed=s["seed"])
        except (ValueError, OSError, TypeError) as exc:
            job.status, job.message = "failed", f"cannot start: {exc}"
            return
        job.status = "running"
        t0 = time.perf_counter()

        def on_step(step: dict[str, float]) -> bool:
            job.push({"type": "step", "t": time.perf_counter() - t0, **step})
            return job.stop.is_set()

        try:
            history = training.fit(model, train_ds, test_ds, epochs=s["epochs"],
                                   batch_size=s["batch_size"], lr=s["lr"],
                                   optimizer=s["optimizer"], seed=s["seed"], progress=False,
                                   on_step=on_step)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a thread has no caller: the page must hear of it
            job.status, job.message = "failed", f"{type(exc).__name__}: {exc}"
            return
        for record in history.epochs:
            job.push({"type": "epoch", **record})
        meta = {"model": s["model"], "data": s["data"], "input_shape": shape,
                "classes": list(train_ds.classes)}  # fmt: skip
        key = f"{job.key}-{s['model']}"
        self.registry.add(key, Entry(model, meta, f"trained here ({job.key})"))
        job.model_id = key
        job.status = "stopped" if history.interrupted else "done"
        last = history.epochs[-1] if history.epochs else {}
        job.message = (f"{len(history.epochs)} epoch(s); validation accuracy "
                       f"{last.get('val_accuracy', float('nan')):.4f}")  # fmt: skip

