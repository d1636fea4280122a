"""TrainingModel: the Training tab's state, without a widget.

It owns the settings (a :class:`~convstudio.training.settings.TrainingSettings`), the dataset
and its loading (a :mod:`~convstudio.ui.tasks` task), the Keras network with its history, the
filter snapshots, and the runner that trains and evaluates on its own thread (run control is
``runs.py``). Lessons, the command line and the menus talk to this model; the tab's widgets only
listen to its past-tense signals and call its methods. It is made with the window; the tab is
built when first shown, and the dataset is loaded when the tab is first shown or a run needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal

from ...training.datasets import IDX_DATASETS, SHAPE_CLASSES, Dataset, skipped_text
from ...training.models import ModelConfig, first_conv, output_classes
from ...training.session import TrainingConfig, evaluation_images
from ...training.settings import TrainingSettings
from ..tasks import Task, run_task
from .runs import RunControl
from .worker import TrainingRunner

DATASET_LABELS = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST (digits)",
                  "shapes": "Shapes (built in)", "folder": "Image folder…"}
LAST_FOLDER_KEY = "training/lastFolder"


def idx_available(name: str) -> bool:
    """Whether the IDX dataset ``name`` is installed in one of the usual places."""
    from ...training.datasets import IDX_FILES, search_dirs

    return any(all((d / f).is_file() for f in IDX_FILES.values()) for d in search_dirs(name))


def last_folder() -> str:
    """Return the last folder a dataset was loaded from, if it still exists (else "")."""
    folder = QSettings().value(LAST_FOLDER_KEY, "")
    return folder if isinstance(folder, str) and folder and Path(folder).is_dir() else ""


def _sentence(text: str) -> str:
    return text.rstrip().rstrip(".") + "."


class TrainingModel(RunControl, QObject):
    """The settings, the dataset, the network and its runs; see the module's docstring."""

    settingsChanged = Signal()
    datasetLoading = Signal(str)   # what is being loaded, as the tab says it
    datasetLoaded = Signal()       # a load ended: ``dataset`` is the new one, or kept if it failed
    networkChanged = Signal()      # the network was replaced (trained, loaded) or forgotten
    networkLoaded = Signal(str)    # … from this file: its history and filters are to be shown
    evaluationStarted = Signal(str)   # the caption while it runs
    evaluationForgotten = Signal(str)  # the confusion matrix is of no current model (why)
    evaluated = Signal(object, str)   # (Evaluation, where)
    statusChanged = Signal(str)
    progressChanged = Signal(int, int)  # (done, total); total 0: busy, no count yet
    messageRaised = Signal(str)       # a problem or a confirmation for the status bar
    problemRaised = Signal(str)       # a problem, also shown in the tab
    runPrepared = Signal(bool, int)   # (resume, epochs before it): a run is about to start
    runEnded = Signal()               # a run, or an evaluation, ended and its thread is gone

    def __init__(self, workspace_kernel: Callable[[], np.ndarray] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        default = "fashion-mnist" if idx_available("fashion-mnist") else "shapes"
        self.settings = self.default_settings = TrainingSettings(dataset=default)
        # The workspace's kernel, asked for when a run seeds filter 0 with it: a function, so
        # this model depends on no other tab's.
        self.workspace_kernel = workspace_kernel or (lambda: np.zeros((3, 3), np.float32))
        self.dataset: Dataset | None = None
        self.folder: str | None = None
        self.network: Any = None
        self.snapshots: list[tuple[str, np.ndarray]] = []
        self._load: Task | None = None
        self._loads = 0  # loads requested so far (0: the dataset is loaded on first need)
        # Asked before the unsaved network is thrown away; the tab sets its dialog here.
        self.confirm_discard: Callable[[str], bool] = lambda action: True
        self.runner = TrainingRunner(self)
        self._init_runs()

    # --- settings ----------------------------------------------------------------------------
    @property
    def n_classes(self) -> int:
        """The loaded dataset's number of classes (10 before one is loaded)."""
        return self.dataset.n_classes if self.dataset is not None else 10

    def class_names(self) -> tuple[str, ...]:
        """Return the loaded dataset's class names (none before one is loaded)."""
        return self.dataset.class_names if self.dataset is not None else ()

    def set_settings(self, values: dict[str, Any] | TrainingSettings) -> None:
        """Apply settings in one step (a dict changes only the fields it holds).

        Raises :class:`~convstudio.training.settings.SettingsError` and changes nothing if a
        value is not allowed. A different dataset is loaded at once if one was loaded before
        (else when first needed); a lesson's "folder" dataset keeps the folder in use.
        """
        new = values if isinstance(values, TrainingSettings) else (
            TrainingSettings.from_dict(values, base=self.settings))
        if new.dataset == "folder" and not self.folder:
            new = TrainingSettings.from_dict({"dataset": self.settings.dataset}, base=new)
        if new == self.settings:
            return
        dataset_changed = new.dataset != self.settings.dataset
        self.settings = new
        self.settingsChanged.emit()
        if dataset_changed and self._loads:
            self.request_dataset()

    def buildable(self) -> bool:
        """Whether the settings' architecture can be built (every block keeps some pixels)."""
        try:
            ModelConfig.from_settings(self.settings, self.n_classes)
        except ValueError:
            return False
        return True

    def training_config(self, *, probe_index: int = 0, seed_kernel: bool = False,
                        freeze_seed: bool = False) -> TrainingConfig:
        """Return the run the settings describe (ValueError naming a bad value)."""
        seed = None
        if seed_kernel:
            seed = tuple(tuple(float(v) for v in row) for row in self.workspace_kernel())
        return TrainingConfig.from_settings(
            self.settings, self.n_classes, data_dir=self.folder, probe_index=probe_index,
            seed_kernel=seed, freeze_seed=freeze_seed and seed is not None)

    def untouched(self) -> bool:
        """Whether nothing was changed, loaded or trained yet (a plain start's state)."""
        return (self.settings == self.default_settings and self.network is None
                and self.dataset is None and not self.loading)

    def training_now(self) -> bool:
        """Whether a network is training (an evaluation of one gives way to any action)."""
        return self.runner.running and not self.runner.evaluating

    # --- the dataset ---------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        """Whether a dataset is being loaded."""
        return self._load is not None

    def ensure_dataset(self) -> None:
        """Load the chosen dataset if none was ever asked for (the tab's first showing)."""
        if self.dataset is None and not self._loads:
            self.request_dataset()

    def set_folder(self, folder: str, dataset: str | None = None) -> None:
        """Load the chosen dataset (or ``dataset``) from ``folder``.

        The folder holds the IDX files, or one sub-folder of images per class for the
        image-folder dataset.
        """
        self.folder = folder
        if dataset is not None and dataset != self.settings.dataset:
            self.settings = TrainingSettings.from_dict({"dataset": dataset}, base=self.settings)
            self.settingsChanged.emit()
        self.request_dataset()

    def request_dataset(self) -> None:
        """Load the chosen dataset in the background; the previous one stays until it works."""
        from ...training.datasets import load_dataset

        name, folder = self.settings.dataset, self.folder
        self._start_loading(load_dataset, (name, folder), f"Loading {DATASET_LABELS[name]}…")

    def download(self) -> bool:
        """Fetch the chosen dataset from the internet (only on the user's request)."""
        name = self.settings.dataset
        if name not in IDX_DATASETS:
            self.problemRaised.emit("Only Fashion-MNIST and MNIST can be downloaded.")
            return False
        from ...training.datasets import download

        self.statusChanged.emit(f"Downloading {name}…")
        self._start_loading(download, (name,), f"Downloading {DATASET_LABELS[name]}…")
        return True

    def _start_loading(self, load: Callable[..., Dataset], args: tuple[Any, ...],
                       text: str) -> None:
        if self._load is not None:
            self._load.cancel()  # its outcome is stale: never shown
        self._loads += 1
        task = self._load = run_task(load, *args, name="dataset", parent=self)
        task.succeeded.connect(self._on_loaded)
        task.failed.connect(self._on_load_failed)
        self.datasetLoading.emit(text)

    def _on_load_failed(self, exc: BaseException) -> None:
        self._load = None
        kept = f" Still using {self.dataset.name}." if self.dataset is not None else ""
        why = str(exc) or type(exc).__name__
        if isinstance(exc, MemoryError):
            why = "there is not enough memory for this dataset"
        self.problemRaised.emit(f"{why}{kept}")
        self.datasetLoaded.emit()

    def _on_loaded(self, ds: Dataset) -> None:
        self._load = None
        self.dataset = ds
        if self.folder and ds.name == "folder":
            QSettings().setValue(LAST_FOLDER_KEY, self.folder)
        self.datasetLoaded.emit()
        skipped = skipped_text(ds)
        if skipped:
            self.problemRaised.emit(skipped)
        self._evaluate_on_new_dataset()

    def _evaluate_on_new_dataset(self) -> None:
        """Evaluate the network on the new dataset (its matrix was of other images), or clear."""
        if self.network is None or self.training_now():
            return
        ds = self.dataset
        if ds is not None and output_classes(self.network) == ds.n_classes:
            self.evaluate_model(f"on {DATASET_LABELS.get(ds.name, ds.name)}")
        else:
            self.evaluationForgotten.emit("The model's classes are not this dataset's.")

    def evaluation_images(self) -> tuple[Any, Any, str] | None:
        """Return what the next run would evaluate, from the loaded dataset."""
        if self.dataset is None:
            return None
        ds = self.dataset.limited(self.settings.limit or None)
        return evaluation_images(ds, TrainingConfig(
            validation_split=self.settings.validation_split))

    # --- model files ---------------------------------------------------------------------------
    def save_to(self, path: str) -> Path | None:
        """Save the network (.keras) with its history (JSON) beside it."""
        from ...training.persist import ModelFileError, save_model

        if self.network is None:
            return None
        try:
            written = save_model(self.network, self.history, path)
        except ModelFileError as exc:
            self.problemRaised.emit(str(exc))
            return None
        self._unsaved, self.model_file = False, Path(written)
        self.messageRaised.emit(f"Saved {written}")
        return written

    def classes_wanted(self) -> int | None:
        """How many classes a loaded model must output: the chosen dataset's (None: unknown)."""
        name = self.settings.dataset
        if name in IDX_DATASETS:
            return len(IDX_DATASETS[name])
        if name == "shapes":
            return len(SHAPE_CLASSES)
        if self.dataset is not None and self.dataset.name == name:
            return self.dataset.n_classes
        return None

    def load_from(self, path: str) -> bool:
        """Load a saved model; a bad or unsuitable file leaves the current one in place."""
        from ...training.persist import ModelFileError, load_model

        name = Path(path).name
        if self.training_now():
            self.problemRaised.emit(f"Cannot load {name} while the model trains; stop it first.")
            return False
        try:
            network, history = load_model(path, n_classes=self.classes_wanted())
        except ModelFileError as exc:
            self.problemRaised.emit(f"{_sentence(str(exc))} The current model is unchanged.")
            return False
        if self.has_unsaved_model() and not self.confirm_discard(f"Loading {name}"):
            self.messageRaised.emit(f"Kept the trained model; {name} was not loaded.")
            return False
        if not self.runner.cancel_evaluation():
            self.problemRaised.emit(f"Cannot load {name} now; try again in a moment.")
            return False
        self._let_go_of_network()
        self.network, self.history = network, history
        self.epochs_done = len(history.get("loss", []))
        self._plan_end, self._unsaved, self.model_file = None, False, Path(path)
        self.snapshots = [(f"loaded from {name}",
                           np.array(first_conv(network).get_weights()[0]))]
        self.networkChanged.emit()
        self.networkLoaded.emit(name)
        self.statusChanged.emit(f"Loaded {name} ({self.epochs_done} epoch(s))")
        ds = self.dataset
        if ds is not None and output_classes(network) == ds.n_classes:
            self.evaluate_model(f"of the loaded model {name}")
        else:
            self.evaluationForgotten.emit("Load the dataset this model was trained on to see "
                                          "its confusion matrix.")
        return True

    def shutdown(self) -> bool:
        """Stop training and loading (window close); return whether all ended in time."""
        self._closing = True
        if self._load is not None:
            self._load.cancel()
        return self.runner.shutdown(1500)  # leaves time to exit within 2 s of the close
