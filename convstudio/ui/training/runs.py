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
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from ...training.models import output_classes
from ...training.session import (
    BatchEvent,
    EpochEvent,
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
    from PySide6.QtWidgets import QLabel, QProgressBar

    from ...training.datasets import Dataset
    from .form import TrainingForm
    from .results import ResultsPanel
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
    """The run-control half of :class:`~convstudio.ui.training.tab.TrainingTab` (a mixin)."""

    if TYPE_CHECKING:
        runner: TrainingRunner
        form: TrainingForm
        results: ResultsPanel
        status: QLabel
        progress: QProgressBar
        dataset: Dataset | None
        model: Any
        runEnded: SignalInstance

        show_message: Callable[[str], None]
        training_config: Callable[[], TrainingConfig]
        class_names: Callable[[], tuple[str, ...]]
        _update_buttons: Callable[[], None]
        _let_go_of_model: Callable[[], None]
        _evaluation_images: Callable[[], tuple[Any, Any, str] | None]

    def _init_runs(self) -> None:
        self.epochs_done = 0
        self.history: dict[str, list[float]] = {}
        self._spare: Any = None  # the last model let go: a fresh Start reuses it if it can
        self._unsaved = False
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

    # --- asking first --------------------------------------------------------------------------
    def has_unsaved_model(self) -> bool:
        """Whether a model was trained here and not saved since (closing or Reset loses it)."""
        return self.model is not None and self._unsaved

    def confirm_discard(self, action: str) -> bool:
        """Ask whether ``action`` may throw away the unsaved trained model (tests replace this)."""
        answer = QMessageBox.question(
            cast(QWidget, self), "Unsaved model",
            f"The trained model is not saved. {action} throws it away.\n\nDiscard it?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard

    # --- control -------------------------------------------------------------------------------
    def start(self) -> bool:
        """Train a fresh model with the current settings."""
        return self._launch(resume=False)

    def resume(self) -> bool:
        """Go on training the current model (its weights, epochs and schedule kept)."""
        return self._launch(resume=True)

    def _launch(self, *, resume: bool) -> bool:
        if self.dataset is None or (resume and self.model is None):
            return False
        if not self.runner.cancel_evaluation():  # a run is under way
            return False
        try:
            config = self.training_config()
        except ValueError as exc:
            self.show_message(f"Cannot train: {exc}")
            return False
        ds = self.dataset.limited(config.limit)
        recycle, initial = None, 0
        if resume:
            if output_classes(self.model) != ds.n_classes:
                self.show_message(f"Cannot resume: the model outputs {output_classes(self.model)}"
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
            self.results.forget_evaluation(f"Shown when epoch {initial + 1} ends.")
            self.results.curves.drop_batches_after(initial)
        else:
            self._let_go_of_model()
            recycle, self._spare = self._spare, None
            self.epochs_done, self.history = 0, {}
            self.results.curves.clear()
            self.results.forget_model()
            note = "Loading TensorFlow and building the model…"
        self._plan_end, self._schedule_done = initial + config.epochs, config.schedule_start
        self._run_config, self._run_ds, self._run_initial = config, ds, initial
        self._pending_eval = None
        self.runner.start(config, ds, self.model if resume else None, initial, recycle)
        self._run_t0 = time.perf_counter()
        self._run_info = {}
        self.status.setText(note + ("…" if resume else ""))
        self.progress.setRange(0, 0)
        self.runner.launch()
        self._update_buttons()
        return True

    def stop(self) -> None:
        """End the run after the current batch; the weights are kept for Resume."""
        if self.runner.running and not self.runner.evaluating:
            self.runner.stop()
            self.status.setText("Stopping after this batch…")

    def reset(self) -> bool:
        """Forget the trained model and every view of it (asking first if it is not saved)."""
        if self.runner.running and not self.runner.evaluating:
            return False
        if self.has_unsaved_model() and not self.confirm_discard("Reset"):
            return False
        if not self.runner.cancel_evaluation():
            return False
        self._let_go_of_model()
        self.epochs_done, self.history = 0, {}
        self._plan_end, self._unsaved = None, False
        self.results.curves.clear()
        self.results.forget_model()
        self.status.setText("Not trained yet.")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self._update_buttons()
        return True

    # --- worker → views ------------------------------------------------------------------------
    @Slot(object)
    def _on_run_started(self, info: dict[str, Any]) -> None:
        self._run_info = info
        self._run_batches = info["batches"] * info["epochs"]
        self.progress.setRange(0, max(1, self._run_batches))
        self.progress.setValue(0)
        self.results.curves.expect_epochs(info["initial_epoch"] + info["epochs"])

    @Slot(object)
    def _on_batch(self, event: BatchEvent) -> None:
        info = self._run_info
        done = (event.epoch - info.get("initial_epoch", 0)) * event.batches + event.batch
        self.progress.setValue(done)
        elapsed = time.perf_counter() - self._run_t0
        eta = elapsed / max(done, 1) * (self._run_batches - done)
        rate = "" if event.learning_rate is None else f" · rate {event.learning_rate:.2g}"
        self.status.setText(
            f"epoch {event.epoch + 1}/{info.get('initial_epoch', 0) + info.get('epochs', 0)} · "
            f"batch {event.batch}/{event.batches} · loss {event.loss:.3f} · accuracy "
            f"{event.accuracy:.1%}{rate} · about {eta:.0f} s left")
        now = time.perf_counter()
        redraw = now - self._last_curve >= 0.5  # the running line twice a second
        if redraw:
            self._last_curve = now
        self.results.curves.add_batch(event.epoch + 1, event.batch / event.batches - 1,
                                      event.loss, redraw=redraw)

    @Slot(object)
    def _on_epoch(self, event: EpochEvent) -> None:
        results, ev = self.results, event.evaluation
        jobs: list[Any] = [(results.curves, lambda: results.curves.add_epoch(
            event.loss, event.accuracy, event.val_loss, event.val_accuracy))]
        if ev is not None:
            jobs.append((results.confusion_view, lambda: results.show_evaluation(
                ev, self.class_names(), f"after epoch {event.epoch + 1}")))
        results.stagger(*jobs)

    @Slot(object)
    def _on_snapshot(self, snap: Snapshot) -> None:
        self.results.add_snapshot(snap, self.class_names())
        self._update_buttons()

    @Slot(object)
    def _on_finished(self, result: TrainingResult) -> None:
        self.model = result.model
        self.history = extend_history(self.history, result.history, self._run_initial)
        self.epochs_done = result.epochs_done
        if result.batches_trained:
            self._unsaved = True
        if not result.stopped:
            self._plan_end = None
            took = time.perf_counter() - self._run_t0
            test = ("" if result.test_accuracy is None
                    else f"; test accuracy {result.test_accuracy:.1%}")
            self.status.setText(f"Trained {self.epochs_done} epoch(s) in {took:.0f} s{test}")
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
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
        self.status.setText(text + ".")
        if self._run_info:  # the bar stays where the run got to
            self.progress.setRange(0, max(1, self._run_batches))
            self.progress.setValue(done)
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        self._pending_eval = where

    @Slot(str)
    def _on_failed(self, text: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText("Training failed.")
        self.show_message(f"Training failed: {text}. Your settings are unchanged.")

    def _on_thread_done(self) -> None:
        self._update_buttons()
        self.runEnded.emit()
        where, self._pending_eval = self._pending_eval, None
        if where is not None and self._run_ds is not None:
            self.evaluate_model(where, evaluation_images(self._run_ds, self._run_config))

    # --- evaluations outside a run -------------------------------------------------------------
    def evaluate_model(self, where: str, images: tuple[Any, Any, str] | None = None) -> bool:
        """Compute the confusion matrix and mistakes of the current model on the training thread.

        ``where``: which state of the model it is, as the captions say it ("at the stop …").
        ``images``: what to evaluate; by default what the form's next run would evaluate.
        """
        if self._closing or self.model is None or not self.runner.cancel_evaluation():
            return False  # (a training run is under way)
        if images is None:
            images = self._evaluation_images()
            if images is None:
                return False
        self._eval_tag = tag = (self._eval_tag[0] + 1, where)
        self.results.forget_evaluation(f"Evaluating the model {where}…")
        self.runner.evaluate(self.model, images, tag)
        self.runner.launch()
        self._update_buttons()
        return True

    @Slot(object)
    def _on_evaluated(self, payload: tuple[tuple[int, str], Evaluation | None]) -> None:
        tag, ev = payload
        if tag != self._eval_tag:
            return  # of a model or images replaced since
        if ev is None:
            self.results.forget_evaluation()
        else:
            self.results.show_evaluation(ev, self.class_names(), tag[1])
