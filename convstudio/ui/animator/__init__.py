"""The Animator tab: step through one convolution and its pooling, arithmetic on screen."""

from .model import AnimatorModel
from .tab import AnimatorTab

__all__ = ["AnimatorModel", "AnimatorTab"]
