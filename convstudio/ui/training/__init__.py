"""The Training tab: a small Keras CNN learning in a worker thread, watched live."""

from .tab import TrainingTab
from .worker import TrainingRunner, TrainingWorker

__all__ = ["TrainingRunner", "TrainingTab", "TrainingWorker"]
