"""The Workspace tab: image canvas, kernel editor, parameters and live outputs."""

from .model import WorkspaceModel
from .tab import WorkspaceTab

__all__ = ["WorkspaceModel", "WorkspaceTab"]
