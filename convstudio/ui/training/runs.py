"""Run control of the Training tab: Start, Stop, Resume, Reset, and what each run reports.

A Start plans a run of the form's epochs; the cosine learning rate spans that whole plan. A Stop
keeps the weights and says where it stopped ("stopped in epoch 3 at batch 1300/1688"); an epoch
left unfinished is not counted or plotted, the bar stays where the run got to, and the
confusion matrix is computed again for the model as it is at the stop. Resume then finishes the
plan, its rate going on from the step reached (the interrupted epoch starts again from its first
batch). After a finished plan, Resume trains the form's epochs more along a new schedule, and
says so. Reset asks before it throws away a trained model that is not saved.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot

from ...training.models import output_classes
from ...training.session import (
    Evaluation,
    Snapshot,
    TrainingConfig,
    TrainingResult,
    evaluation_images,
    scheduled_rate,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtCore import SignalInstance

    from ...training.datasets import Dataset
    from ...training.settings import TrainingSettings
    from .worker import TrainingRunner


def extend_history(old: dict[str, list[float]], new: dict[str, list[float]],
                   epochs_before: int) -> dict[str, list[float]]:
    """Append a run's history to the earlier epochs', NaN where an epoch lacks a number."""
    out: dict[str, list[float]] = {}
    n_new = max((len(v) for v in new.values()), default=0)
    for key in [*old, *(k for k in new if k not in old)]:
        before = list(old.get(key, []))[:epochs_before]
        before += [math.nan] * (epochs_before - len(before))
        after = list(new.get(key, []))
        out[key] = before + after + [math.nan] * (n_new - len(after))
    return out


class RunControl:
    """The run-control half of :class:`~convstudio.ui.training.model.TrainingModel` (a mixin).

    It changes the model's state and says what happened by the model's signals; the tab's
    views listen (the runner's progress signals reach them directly).
    """

    if TYPE_CHECKING:
        runner: TrainingRunner
        settings: TrainingSettings
        dataset: Dataset | None
        network: Any
        snapshots: list[tuple[str, Any]]
        confirm_discard: Callable[[str], bool]
        statusChanged: SignalInstance
        progressChanged: SignalInstance
        problemRaised: SignalInstance
        networkChanged: SignalInstance
        evaluationStarted: SignalInstance
        evaluationForgotten: SignalInstance
        evaluated: SignalInstance
        runEnded: SignalInstance
        runPrepared: SignalInstance

        training_config: Callable[..., TrainingConfig]
        class_names: Callable[[], tuple[str, ...]]
        training_now: Callable[[], bool]
        evaluation_images: Callable[[], tuple[Any, Any, str] | None]

    def _init_runs(self) -> None:
        self.epochs_done = 0
        self.history: dict[str, list[float]] = {}
        self._spare: Any = None  # the last model let go: a fresh Start reuses it if it can
        self._unsaved = False
        self.model_file: Path | None = None  # the .keras file the network was saved to/loaded from
        self._plan_end: int | None = None   # the epoch an unfinished (stopped) plan ends at
        self._schedule_done = 0.0           # how far along its schedule that plan got
        self._run_config = TrainingConfig()
        self._run_ds: Dataset | None = None
        self._run_initial = 0
        self._run_t0 = 0.0
        self._run_batches = 0
        self._run_info: dict[str, Any] = {}
        self._last_curve = 0.0
        self._pending_eval: str | None = None
        self._eval_tag: tuple[int, str] = (0, "")
        self._closing = False
        relay = self.runner.relay  # connected first: the state changes before views hear
        relay.runStarted.connect(self._on_run_started)
        relay.snapshotTaken.connect(self._on_snapshot)
        relay.runFinished.connect(self._on_finished)
        relay.evaluated.connect(self._on_evaluated)
        relay.runFailed.connect(self._on_failed)
        self.runner.threadEnded.connect(self._on_thread_done)

    # --- asking first --------------------------------------------------------------------------
    def has_unsaved_model(self) -> bool:
        """Whether a network was trained here and not saved since (closing or Reset loses it)."""
        return self.network is not None and self._unsaved

    def saved_file(self) -> Path | None:
        """Return the ``.keras`` file that holds the network as it is now (None: none does)."""
        if self.network is None or self._unsaved:
            return None
        return self.model_file

    def _let_go_of_network(self) -> None:
        """Forget the current network, keeping it aside for the next fresh run to reuse."""
        if self.network is not None:
            self._spare = self.network
        self.network = None
        self.snapshots = []

    # --- control -------------------------------------------------------------------------------
    def start(self, **options: Any) -> bool:
        """Train a fresh network with the current settings.

        ``options``: see :meth:`~convstudio.ui.training.model.TrainingModel.training_config`.
        """
        return self._launch(resume=False, options=options)

    def resume(self, **options: Any) -> bool:
        """Go on training the current network (its weights, epochs and schedule kept)."""
        return self._launch(resume=True, options=options)

    def _launch(self, *, resume: bool, options: dict[str, Any]) -> bool:
        if self.dataset is None or (resume and self.network is None):
            return False
        if not self.runner.cancel_evaluation():  # a run is under way
            return False
        try:
            config = self.training_config(**options)
        except ValueError as exc:
            self.problemRaised.emit(f"Cannot train: {exc}")
            return False
        ds = self.dataset.limited(config.limit)
        recycle, initial = None, 0
        if resume:
            if output_classes(self.network) != ds.n_classes:
                self.problemRaised.emit(
                    f"Cannot resume: the model outputs {output_classes(self.network)}"
                                  f" classes but {ds.name} has {ds.n_classes}; Start trains a "
                                  "new model for it.")
                return False
            initial = self.epochs_done
            if self._plan_end is not None and initial < self._plan_end:
                config = replace(config, epochs=self._plan_end - initial,
                                 schedule_start=self._schedule_done)
                note = (f"Resuming epoch {initial + 1} of {self._plan_end} from its first batch")
                if config.lr_schedule == "cosine":
                    note += (f"; the learning rate goes on along its cosine from "
                             f"{scheduled_rate(config, config.schedule_start):.3g}")
            else:
                note = f"Resuming for {config.epochs} more epoch(s)"
                if config.lr_schedule == "cosine":
                    note += (f" along a new cosine schedule from {config.learning_rate:g} "
                             "(the planned run had ended)")
            self.evaluationForgotten.emit(f"Shown when epoch {initial + 1} ends.")
        else:
            self._let_go_of_network()
            recycle, self._spare = self._spare, None
            self.epochs_done, self.history = 0, {}
            self.networkChanged.emit()
            note = "Loading TensorFlow and building the model…"
        self._plan_end, self._schedule_done = initial + config.epochs, config.schedule_start
        self._run_config, self._run_ds, self._run_initial = config, ds, initial
        self._pending_eval = None
        self.runner.start(config, ds, self.network if resume else None, initial, recycle)
        self._run_t0 = time.perf_counter()
        self._run_info = {}
        self.runPrepared.emit(resume, initial)
        self.statusChanged.emit(note + ("…" if resume else ""))
        self.progressChanged.emit(0, 0)
        self.runner.launch()
        return True

    def stop(self) -> None:
        """End the run after the current batch; the weights are kept for Resume."""
        if self.runner.running and not self.runner.evaluating:
            self.runner.stop()
            self.statusChanged.emit("Stopping after this batch…")

    def reset(self) -> bool:
        """Forget the trained network and every view of it (asking first if it is not saved)."""
        if self.runner.running and not self.runner.evaluating:
            return False
        if self.has_unsaved_model() and not self.confirm_discard("Reset"):
            return False
        if not self.runner.cancel_evaluation():
            return False
        self._let_go_of_network()
        self.epochs_done, self.history = 0, {}
        self._plan_end, self._unsaved, self.model_file = None, False, None
        self.networkChanged.emit()
        self.statusChanged.emit("Not trained yet.")
        self.progressChanged.emit(0, 1)
        return True

    # --- what the worker reports ------------------------------------------------------------
    @Slot(object)
    def _on_run_started(self, info: dict[str, Any]) -> None:
        self._run_info = info
        self._run_batches = info["batches"] * info["epochs"]

    def run_progress(self, epoch: int, batch: int, batches: int) -> tuple[int, int, float]:
        """Return (batches done, batches planned, seconds left) of the run under way."""
        done = (epoch - self._run_info.get("initial_epoch", 0)) * batches + batch
        elapsed = time.perf_counter() - self._run_t0
        return done, self._run_batches, elapsed / max(done, 1) * (self._run_batches - done)

    def planned_epochs(self) -> int:
        """Return the last epoch of the run under way (as "epoch 3/5" counts)."""
        return self._run_info.get("initial_epoch", 0) + self._run_info.get("epochs", 0)

    @Slot(object)
    def _on_snapshot(self, snap: Snapshot) -> None:
        self.snapshots.append((f"epoch {snap.epoch + 1}, batch {snap.batch}", snap.filters))

    @Slot(object)
    def _on_finished(self, result: TrainingResult) -> None:
        self.network = result.model
        self.history = extend_history(self.history, result.history, self._run_initial)
        self.epochs_done = result.epochs_done
        if result.batches_trained:
            self._unsaved, self.model_file = True, None  # no file holds these weights
        if not result.stopped:
            self._plan_end = None
            took = time.perf_counter() - self._run_t0
            test = ("" if result.test_accuracy is None
                    else f"; test accuracy {result.test_accuracy:.1%}")
            self.statusChanged.emit(f"Trained {self.epochs_done} epoch(s) in {took:.0f} s{test}")
            self.progressChanged.emit(1, 1)
            return
        point = result.stopped_at
        if point is None:
            text, where, done = "Stopped before the first batch", "at the stop", 0
        elif point.mid_epoch:
            text = f"Stopped in epoch {point.epoch + 1} at batch {point.batch}/{point.batches}"
            where = f"at the stop in epoch {point.epoch + 1}, batch {point.batch}/{point.batches}"
            done = (point.epoch - self._run_initial) * point.batches + point.batch
        else:
            text = f"Stopped after epoch {point.epoch + 1}"
            where = f"after epoch {point.epoch + 1} (stopped)"
            done = (point.epoch + 1 - self._run_initial) * point.batches
        if self._plan_end is not None and self.epochs_done < self._plan_end:
            self._schedule_done = result.schedule_reached
            text += f"; Resume finishes the {self._plan_end} planned epochs"
            if self._run_config.lr_schedule == "cosine":
                text += ", the learning rate going on along its cosine"
        else:
            self._plan_end = None
        self.statusChanged.emit(text + ".")
        if self._run_info:  # the bar stays where the run got to
            self.progressChanged.emit(done, max(1, self._run_batches))
        else:
            self.progressChanged.emit(0, 1)
        self._pending_eval = where

    @Slot(str)
    def _on_failed(self, text: str) -> None:
        self.progressChanged.emit(0, 1)
        self.statusChanged.emit("Training failed.")
        self.problemRaised.emit(f"Training failed: {text}. Your settings are unchanged.")

    def _on_thread_done(self) -> None:
        self.runEnded.emit()
        where, self._pending_eval = self._pending_eval, None
        if where is not None and self._run_ds is not None:
            self.evaluate_model(where, evaluation_images(self._run_ds, self._run_config))

    # --- evaluations outside a run -------------------------------------------------------------
    def evaluate_model(self, where: str, images: tuple[Any, Any, str] | None = None) -> bool:
        """Compute the confusion matrix and mistakes of the network on the training thread.

        ``where``: which state of the model it is, as the captions say it ("at the stop …").
        ``images``: what to evaluate; by default what the form's next run would evaluate.
        """
        if self._closing or self.network is None or not self.runner.cancel_evaluation():
            return False  # (a training run is under way)
        if images is None:
            images = self.evaluation_images()
            if images is None:
                return False
        self._eval_tag = tag = (self._eval_tag[0] + 1, where)
        self.evaluationStarted.emit(f"Evaluating the model {where}…")
        self.runner.evaluate(self.network, images, tag)
        self.runner.launch()
        return True

    @Slot(object)
    def _on_evaluated(self, payload: tuple[tuple[int, str], Evaluation | None]) -> None:
        tag, ev = payload
        if tag != self._eval_tag:
            return  # of a model or images replaced since
        if ev is None:
            self.evaluationForgotten.emit("")
        else:
            self.evaluated.emit(ev, tag[1])
