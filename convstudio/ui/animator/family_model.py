"""The animator model's conv family: the transposed steps, and the modes stepped in standard form.

The workspace's family mode decides what phase 1 steps through. Transposed mode on a
one-channel source steps through :func:`core.transpose_steps` (one step per input pixel,
scattering kernel × value into the output), with the same output seen as an ordinary
correlation over the zero-inserted, padded input (:meth:`TransposeSteps.correlation_steps`).
The other modes are stepped as the standard conv, and :attr:`FamilyMixin.family_note` says so
on the page: the animator never shows one computation under another's name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core import ConvStep, ConvSteps, TransposeStep, TransposeSteps, transpose_steps
from ...core.channels import CHANNEL_LABELS
from ...core.costs import LayerCost
from ...core.family_steps import depthwise_kernel_as_conv
from ...core.pipeline_family import transpose_formulas, workspace_cost

FAMILY_NAMES = {"transposed": "Transposed", "depthwise": "Depthwise", "separable": "Separable"}


class FamilyMixin:
    """Transposed steps and the family's words, mixed into :class:`AnimatorModel`."""

    workspace: Any
    source: np.ndarray
    conv: ConvSteps | None
    cursor: Any
    optionsChanged: Any

    def _init_family(self) -> None:
        self.transpose: TransposeSteps | None = None
        self.correlation = False  # show the transposed step as a correlation
        self.family_note = ""
        self._transpose_made: tuple[TransposeSteps, int, TransposeStep] | None = None
        self._corr: tuple[TransposeSteps, ConvSteps] | None = None

    @property
    def family(self) -> str:
        """The workspace's conv family mode."""
        return str(self.workspace.params.family)

    def _family_note(self, source: np.ndarray) -> str:
        """Why phase 1 shows the standard conv although the workspace is in another mode."""
        family = self.family
        if family == "standard":
            return ""
        if family == "transposed":
            if source.ndim == 2:
                return ""
            return (f"Transposed on {source.shape[2]} channels: your kernel on every channel, "
                    "their shares summed into one map, as the Workspace does.")
        m = int(self.workspace.params.depth_multiplier)
        if family == "separable" and source.ndim == 3:
            maps = source.shape[2] * m
            reads = "channel f" if m == 1 else f"channel f // {m}"
            return (f"Separable: phase 1 steps its depthwise stage (map f reads {reads} alone, "
                    f"no bias); its pointwise 1×1 then adds the {maps} maps (weights 1) + the "
                    "bias into the one map phase 2 pools.")
        if family == "depthwise" and source.ndim == 3:
            reads = "channel f" if m == 1 else f"channel f // {m}"
            return (f"Depthwise: map f reads {reads} alone (its weights on the other channels "
                    "are 0), so nothing is summed across channels.")
        if family == "depthwise":
            maps = "its map is" if m == 1 else f"each of its {m} maps is"
            return f"Depthwise on one channel: {maps} this ordinary conv."
        return (f"{FAMILY_NAMES[family]} mode is stepped here in standard form, as Conv2D; "
                f"the Workspace shows the {family} output.")

    def depthwise_stage(self, source: np.ndarray) -> bool:
        """Whether phase 1 steps a depthwise stage: depthwise or separable on several channels."""
        return self.family in ("depthwise", "separable") and source.ndim == 3

    def _stage_bias(self, source: np.ndarray) -> float:
        """Return the stepped stage's bias: a separable layer adds it after the pointwise 1×1."""
        separable = self.family == "separable" and source.ndim == 3
        return 0.0 if separable else float(self.workspace.params.bias)

    def _pooled_map(self, out: np.ndarray, source: np.ndarray) -> np.ndarray:
        """Return the map phase 2 pools: the first, or a separable layer's pointwise sum + bias."""
        if out.ndim == 2:
            return out
        if self.family == "separable" and source.ndim == 3:
            total = out.sum(axis=2, dtype=np.float32) + np.float32(self.workspace.params.bias)
            return np.asarray(total, np.float32)
        return out[:, :, 0]  # several maps: the first is pooled (each map is pooled alike)

    def _depthwise_kernel(self, kernel: np.ndarray, channels: int) -> np.ndarray:
        """Return the workspace's depthwise layer (every kernel its one) as a Conv2D kernel."""
        m = int(self.workspace.params.depth_multiplier)
        per_channel = np.broadcast_to(np.asarray(kernel, np.float32)[:, :, None, None],
                                      (*kernel.shape[:2], channels, m))
        return depthwise_kernel_as_conv(per_channel)

    def depthwise_caption(self) -> tuple[str, str] | None:
        """Return the tensors' caption and tooltip in depthwise mode, else None."""
        steps = self.conv
        if not self.depthwise_stage(self.source) or steps is None or steps.kernel.ndim != 4:
            return None
        kh, kw, c, f = steps.kernel.shape
        m = f // c
        h, w = self.source.shape[:2]
        oh, ow = steps.output.shape[:2]
        names = [CHANNEL_LABELS[i] if i < len(CHANNEL_LABELS) else str(i) for i in range(c)]
        separable = self.family == "separable"
        caption = (f"<b>{h}×{w}×{c} → {oh}×{ow}×{f}:</b> depthwise{' stage' if separable else ''}"
                   f", {f} maps {oh}×{ow}, each from {kh}×{kw} weights on one channel"
                   + ("" if separable else " + a bias"))
        counts = (f"{c}·{m} × {kh}×{kw} = {f * kh * kw} weights, then a pointwise 1×1 of {f} "
                  "weights all 1 and one bias" if separable else
                  f"{c}·{m} × ({kh}×{kw} + 1) = {f * (kh * kw + 1)} parameters")
        tip = counts + "".join(f"\nfilter {j}: the kernel on {names[j // m]} only"
                               for j in range(f))
        return caption, tip

    def _build_transpose(self, source: np.ndarray, kernel: np.ndarray,
                         params: Any) -> TransposeSteps | None:
        """Return the transposed steps the workspace's mode asks for, else None.

        On C channels the kernel is (kh, kw, 1, C), the 2-D kernel on every channel (one map).

        Raises
        ------
        ValueError
            From :func:`core.transpose_steps` (an output padding not below the stride, …).
        """
        if self.family != "transposed":
            return None
        if source.ndim == 3:
            kernel = np.repeat(np.asarray(kernel, np.float32)[:, :, None, None],
                               source.shape[2], axis=3)
        return transpose_steps(source, kernel, stride=params.stride, padding=params.padding,
                               output_padding=params.output_padding,
                               dilation=params.dilation, bias=params.bias)

    def set_correlation(self, on: bool) -> None:
        """Show the transposed step as a scatter (False) or as a correlation (True)."""
        if bool(on) == self.correlation:
            return
        self.correlation = bool(on)
        self.optionsChanged.emit()

    def transpose_step(self) -> TransposeStep:
        """Return the transposed step under the cursor (the last one in the pool phase)."""
        steps = self.transpose
        assert steps is not None
        i = min(self.cursor.step, len(steps) - 1)
        made = self._transpose_made
        if made is None or made[0] is not steps or made[1] != i:
            self._transpose_made = (steps, i, steps[i])
        assert self._transpose_made is not None
        return self._transpose_made[2]

    def correlation_steps(self) -> ConvSteps:
        """Return the transposed output as steps of a correlation (made once a trace)."""
        steps = self.transpose
        assert steps is not None
        if self._corr is None or self._corr[0] is not steps:
            self._corr = (steps, steps.correlation_steps())
        return self._corr[1]

    def correlation_cell(self, step: TransposeStep) -> tuple[int, int]:
        """Return the output cell the correlation view shows: the first cell the step adds to."""
        rows, cols = np.nonzero(step.inside)
        i, j = int(rows[0]), int(cols[0])
        return int(step.targets[i, j, 0]), int(step.targets[i, j, 1])

    def correlation_step(self, step: TransposeStep) -> ConvStep:
        """Return the correlation's step for :meth:`correlation_cell` of ``step``."""
        corr = self.correlation_steps()
        r, c = self.correlation_cell(step)
        return corr[r * int(corr.output.shape[1]) + c]

    def transpose_caption(self) -> tuple[str, str]:
        """Return the output-size formula and the layer's parameter and multiply-add counts."""
        steps = self.transpose
        assert steps is not None
        params = self.workspace.params
        hw = (int(steps.x.shape[0]), int(steps.x.shape[1]))
        khw = (int(steps.kernel.shape[0]), int(steps.kernel.shape[1]))
        cost: LayerCost = workspace_cost(hw, khw, int(steps.x.shape[2]), params)
        return (transpose_formulas(hw, khw, params),
                f"{cost.params:,} parameters · {cost.mult_adds:,} multiply-adds")
