"""The Animator tab: source and options, the conv/pool pages, and the transport bar."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSlider,
    QStackedWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.animator_sources import ANIMATOR_SOURCES
from ..theme import scale_font
from .export import FrameExporter
from .flow import FlowLayout
from .labels import PositionText
from .learn_model import TRAIN_MANY
from .learn_page import LearnPage
from .learn_text import STAGE_LABELS
from .model import PHASES, SOURCE_LABELS, SUB_PHASES, AnimatorModel
from .pages import ConvPage, PoolPage
from .player import MAX_SPEED, MIN_SPEED, Player
from .transpose_page import TransposePage

# Keys a presenter uses; a clicker sends PageDown/PageUp.
_K = Qt.Key
KEY_ACTIONS = {
    _K.Key_Space: "toggle",
    _K.Key_Right: "next", _K.Key_PageDown: "next",
    _K.Key_Left: "previous", _K.Key_PageUp: "previous",
    _K.Key_Down: "row_down", _K.Key_Up: "row_up",
    _K.Key_Home: "start", _K.Key_End: "end",
    _K.Key_Plus: "faster", _K.Key_Equal: "faster",
    _K.Key_Minus: "slower", _K.Key_Underscore: "slower",
    _K.Key_1: "phase_conv", _K.Key_2: "phase_pool", _K.Key_3: "phase_learn",
    _K.Key_T: "train_one", _K.Key_F: "train_many", _K.Key_R: "random_start",
}
SPEED_TICKS = 100


def _speed_to_tick(speed: float) -> int:
    return round(SPEED_TICKS * math.log(speed / MIN_SPEED) / math.log(MAX_SPEED / MIN_SPEED))


def _tick_to_speed(tick: int) -> float:
    return round(MIN_SPEED * (MAX_SPEED / MIN_SPEED) ** (tick / SPEED_TICKS))


# Widgets outside the tab that keep their keys (typing, spinning, editing cells).
TYPING_WIDGETS = (QLineEdit, QAbstractSpinBox, QAbstractItemView)


class AnimatorTab(QWidget):
    """Step through the workspace's convolution and pooling, with the arithmetic on screen.

    The source, pool input and sub-steps controls show the model's state and change it
    through the model's setters; lessons and the command line set the model, never them.
    """

    messageRaised = Signal(str)
    workspaceRegionRequested = Signal()

    def __init__(self, model: AnimatorModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.player = Player(model, self)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._said_grey = False  # a grey image's "R = G = B" message is shown once
        self.source = QComboBox()
        for key in ANIMATOR_SOURCES:
            self.source.addItem(SOURCE_LABELS[key], key)
        self.source.setToolTip("What to step through; the kernel and parameters are the "
                               "workspace's, so edits there show here")
        self.source.currentIndexChanged.connect(
            lambda i: self.model.set_source_kind(self.source.itemData(i)))
        self.source_note = QLabel("")
        # The region's description is long; wrapped, it never widens the window past 1024.
        self.source_note.setWordWrap(True)
        scale_font(self.source_note, 0.85)
        self.pool_input = QComboBox()
        self.pool_input.addItem("Pool: conv output", "conv")
        self.pool_input.addItem("Pool: the image", "image")
        self.pool_input.currentIndexChanged.connect(
            lambda i: self.model.set_pool_input(self.pool_input.itemData(i)))
        self.sub_phases = QCheckBox("Sub-steps")
        self.sub_phases.setToolTip("Split each conv step into three: multiply (the products), "
                                   "add (their sum), write (the output cell)")
        self.sub_phases.toggled.connect(self.model.set_sub_phases)
        self.relu = QCheckBox("ReLU")
        self.relu.setToolTip("Apply ReLU after the conv (shared with the workspace)")
        self.relu.toggled.connect(self._on_relu_toggled)
        self.conv_phase = QPushButton("1 · Conv")
        self.pool_phase = QPushButton("2 · Pool")
        self.learn_phase = QPushButton("3 · Learn")
        self.learn_phase.setToolTip("The backward pass and SGD on the kernel (3; T trains one "
                                    "step, F 50, R a random start)")
        self.phase_group = QButtonGroup(self)
        for n, phase_button in enumerate((self.conv_phase, self.pool_phase, self.learn_phase)):
            phase_button.setCheckable(True)
            self.phase_group.addButton(phase_button, n)
        self.conv_phase.clicked.connect(lambda: self.model.set_phase("conv"))
        self.pool_phase.clicked.connect(lambda: self.model.set_phase("pool"))
        self.learn_phase.clicked.connect(self._on_learn_clicked)
        source_group = QWidget()
        source_row = QHBoxLayout(source_group)
        source_row.setContentsMargins(0, 0, 0, 0)
        source_row.addWidget(QLabel("Source"))
        source_row.addWidget(self.source)
        # One row where it fits; narrower (projection mode), the options wrap onto another.
        top = FlowLayout()
        top.add(source_group)
        top.add(self.source_note, grow=True, min_chars=14)
        for option in (self.pool_input, self.relu, self.sub_phases):
            top.add(option)

        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setStyleSheet("color: #b2182b; font-weight: bold;")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)  # shown with a message only: no empty row
        # Says when phase 1 steps through another computation than the workspace's mode.
        self.family_note = QLabel("")
        self.family_note.setWordWrap(True)
        self.family_note.setStyleSheet("font-weight: bold;")
        self.family_note.setVisible(False)
        self.conv_page = ConvPage(model)
        self.conv_page.crop_button.clicked.connect(self._request_region)
        self.pool_page = PoolPage(model)
        self.learn_page = LearnPage(model)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.conv_page)
        self.pages.addWidget(self.pool_page)
        self.pages.addWidget(self.learn_page)
        self.transpose_page = TransposePage(model)
        self.pages.addWidget(self.transpose_page)  # phase 1 in transposed mode

        self.buttons: dict[str, QToolButton] = {}
        transport = QHBoxLayout()
        sp = QStyle.StandardPixmap
        for key, icon, tip in (
            ("start", sp.SP_MediaSkipBackward, "First step (Home)"),
            ("row_up", sp.SP_ArrowUp, "One output row back (Up)"),
            ("previous", sp.SP_MediaSeekBackward, "Step back (Left, PageUp)"),
            ("toggle", sp.SP_MediaPlay, "Play / pause (Space)"),
            ("next", sp.SP_MediaSeekForward, "Step forward (Right, PageDown)"),
            ("row_down", sp.SP_ArrowDown, "One output row on (Down)"),
            ("end", sp.SP_MediaSkipForward, "Last step (End)"),
        ):
            tool = QToolButton()
            tool.setIcon(self.style().standardIcon(icon))
            tool.setIconSize(QSize(24, 24))
            tool.setToolTip(tip)
            tool.setMinimumSize(44, 36)
            tool.clicked.connect(lambda _=False, k=key: self.perform(k))
            self.buttons[key] = tool
            transport.addWidget(tool)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setToolTip("Drag to any step")
        self.scrubber.valueChanged.connect(self.model.go_to_shown)
        self.position = PositionText()
        self.position.setObjectName("position")
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, SPEED_TICKS)
        self.speed.setFixedWidth(160)
        self.speed.setToolTip("Steps per second, 1–120 (+ and −)")
        self.speed.valueChanged.connect(lambda t: self.player.set_speed(_tick_to_speed(t)))
        self.speed_label = QLabel("")
        self.speed_label.setMinimumWidth(90)
        self.exporter = FrameExporter(model, self.player, self._grab_page, self)
        self.export_button = QPushButton("Export")
        menu = QMenu(self.export_button)
        menu.addAction("Current step as PNG…", lambda: self.exporter.dialog("png"))
        menu.addAction("Whole run as animated GIF…", lambda: self.exporter.dialog("gif"))
        menu.addAction("Whole run as numbered PNG frames…",
                       lambda: self.exporter.dialog("frames"))
        self.export_button.setMenu(menu)
        transport.addWidget(self.scrubber, 1)
        transport.addWidget(QLabel("Speed"))
        transport.addWidget(self.speed)
        transport.addWidget(self.speed_label)
        transport.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)  # on a 768 px projector every row counts
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(self.family_note)
        layout.addWidget(self.pages, 1)
        # The position sits by the scrubber: both change every step, and widgets far apart
        # that repaint together make Qt repaint everything between them.
        where = QHBoxLayout()
        where.addWidget(self.conv_phase)
        where.addWidget(self.pool_phase)
        where.addWidget(self.learn_phase)
        # Shown while the input shows a part: a row with room, not the input's narrow column.
        where.addWidget(self.conv_page.crop_button)
        where.addWidget(self.position, 1)
        layout.addLayout(where)
        layout.addLayout(transport)

        self._chrome_timer = QTimer(self)
        self._chrome_timer.setSingleShot(True)
        self._chrome_timer.setInterval(100)
        self._chrome_timer.timeout.connect(self._update_chrome)
        self.exporter.messageRaised.connect(self.messageRaised)
        model.traceChanged.connect(self._on_trace)
        model.stepChanged.connect(self._on_step)
        model.errorChanged.connect(self._on_error)
        model.sourceChanged.connect(self._on_source)
        model.optionsChanged.connect(self._on_options)
        model.workspace.paramsChanged.connect(self._on_params)
        self.player.playingChanged.connect(self._on_playing)
        self.player.speedChanged.connect(self._on_speed)
        self._on_speed(self.player.speed)
        # The tab is built lazily: the model may have been set up before it existed.
        self._on_source(model.source_kind)
        self._on_options()
        self._on_params()
        self._on_trace()
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)

    # --- keyboard -------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Take the presenter keys from whichever widget inside this tab has focus."""
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        if not isinstance(watched, QWidget) or not self.isVisible():
            return False
        if watched is not self and not self.isAncestorOf(watched):
            # Elsewhere in the window (the tab bar, the lesson or code panel): a presenter's
            # clicker still steps, unless the keys are for typing.
            window = self.window()
            if watched is not window and not window.isAncestorOf(watched):
                return False
            if isinstance(watched, TYPING_WIDGETS) or (
                    isinstance(watched, QComboBox) and watched.view().isVisible()):
                return False
        assert isinstance(event, QKeyEvent)
        mods = event.modifiers() & ~(Qt.KeyboardModifier.KeypadModifier
                                     | Qt.KeyboardModifier.ShiftModifier)
        action = KEY_ACTIONS.get(Qt.Key(event.key()))
        if action is None or mods != Qt.KeyboardModifier.NoModifier:
            return False
        event.accept()
        if kind == QEvent.Type.KeyPress:
            self.perform(action)
        return True

    def perform(self, action: str) -> None:
        """Run a transport action by name (buttons and keys share these)."""
        m, p = self.model, self.player
        if action == "toggle":
            p.toggle()
            return
        if action in ("faster", "slower"):
            getattr(p, action)()
            return
        p.pause()
        if action in ("train_one", "train_many", "random_start") and not m.learning:
            # A stray key must not change the kernel while the conv or pool steps are shown.
            m.report_error("T, F and R train the kernel in the Learn phase: press 3 first.")
            return
        if action.startswith("phase_"):
            m.set_phase(action[len("phase_"):])
        elif action == "train_one":
            m.train_steps(1)
        elif action == "train_many":
            m.train_steps(TRAIN_MANY)
        elif action == "random_start":
            m.random_start()
        elif action == "next":
            m.next()
        elif action == "previous":
            m.previous()
        elif action == "row_down":
            m.row(+1)
        elif action == "row_up":
            m.row(-1)
        elif action == "start":
            m.start()
        elif action == "end":
            m.end()
        else:
            raise ValueError(f"unknown action {action!r}")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """Take focus so the keys work straight away."""
        super().showEvent(event)
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_learn_clicked(self) -> None:
        if not self.model.enter_learn(self.model.learn_cursor):
            self.phase_group.button(PHASES.index(self.model.phase)).setChecked(True)

    def _request_region(self) -> None:
        self.model.set_source_kind("region")
        self.workspaceRegionRequested.emit()

    def _grab_page(self) -> QImage:
        """Render the visible page (conv or pool) as it looks now: one exported frame."""
        page = self.pages.currentWidget()
        assert page is not None
        return page.grab().toImage()

    # --- model → widgets ----------------------------------------------------------------------
    def _on_source(self, kind: str) -> None:
        self.source.blockSignals(True)
        self.source.setCurrentIndex(self.source.findData(kind))
        self.source.blockSignals(False)

    def _on_options(self) -> None:
        m = self.model
        self.pool_input.blockSignals(True)
        self.pool_input.setCurrentIndex(self.pool_input.findData(m.pool_input))
        self.pool_input.blockSignals(False)
        self.sub_phases.blockSignals(True)
        self.sub_phases.setChecked(m.sub_phases)
        self.sub_phases.blockSignals(False)

    def _on_trace(self) -> None:
        m = self.model
        self._scrub_range()
        self.pool_phase.setEnabled(m.n_pool > 0)
        h, w = m.source.shape[:2]
        note = f"{h}×{w}"
        if m.source_kind == "region":
            note = m.region_text
        elif m.source_kind == "pool-example":
            note = "the pooling lesson's 4×4 block"
        self.source_note.setText(note)
        # A stack of channels has its shape spelled out above its grids (H×W×C → H′×W′×F):
        # the note would only say it again. Which region, or which block, it still says.
        self.source_note.setVisible(m.source.ndim == 2 or m.source_kind in ("region",
                                                                           "pool-example"))
        # The camera photo (the Workspace's first sample) is grey: its three channels are one.
        src = m.source
        grey = (m.source_kind == "rgb" and src.ndim == 3 and src.shape[2] == 3
                and bool((src[..., 0] == src[..., 1]).all() and (src[..., 1] == src[..., 2]).all()))
        if grey and not self._said_grey:
            self.messageRaised.emit("This image is grey: its R, G and B channels are the same. "
                                    "Choose a colour sample or photo on the Workspace to see "
                                    "them differ.")
        self._said_grey = grey
        self.family_note.setText(m.family_note)
        self.family_note.setVisible(bool(m.family_note))
        self.sub_phases.setEnabled(m.transpose is None)  # a scatter step has no sub-steps
        self._on_step()

    def _scrub_range(self) -> None:
        m = self.model
        top = (m.n_learn if m.learning else m.total) - 1
        if self.scrubber.maximum() != top:
            self.scrubber.blockSignals(True)
            self.scrubber.setRange(0, max(0, top))
            self.scrubber.blockSignals(False)

    def _on_step(self) -> None:
        m = self.model
        phase = PHASES.index(m.phase)
        page = 3 if m.phase == "conv" and m.transpose is not None else phase
        if self.pages.currentIndex() != page:
            self.pages.setCurrentIndex(page)
            self._scrub_range()
        self.phase_group.button(phase).setChecked(True)
        if self.player.playing:
            # The scrubber and the position text sit far from the grids; repainting them at
            # 120 Hz would make Qt repaint the whole window between them. 10 Hz is plenty.
            if not self._chrome_timer.isActive():
                self._chrome_timer.start()
        else:
            self._chrome_timer.stop()
            self._update_chrome()

    def _update_chrome(self) -> None:
        m = self.model
        c = m.cursor
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(m.learn_cursor if m.learning else c.step)
        self.scrubber.blockSignals(False)
        if m.learning:
            stage, j = m.learn_stage()
            count = dict(m.learn_trace().stages)[stage]
            self.position.setText(f"learn {m.learn_cursor + 1} of {m.n_learn} — "
                                  f"{STAGE_LABELS[stage]} {j + 1}/{count}")
            return
        if m.in_conv and m.transpose is not None:
            r, col = m.transpose_step().in_pos
            where = f"transposed {c.step + 1}/{m.n_conv}: input[{r}, {col}]"
        elif m.in_conv:
            conv_step = m.conv_step()
            r, col = conv_step.out_pos
            several = m.conv is not None and m.conv.filters > 1
            cell = f"{r}, {col}, {conv_step.filter}" if several else f"{r}, {col}"
            where = f"conv {c.step + 1}/{m.n_conv}: output[{cell}]"
            if m.sub_phases:
                where += f" · {SUB_PHASES[c.sub]}"
        else:
            step = m.pool_step()
            assert step is not None
            r, col = step.out_pos
            where = f"pool {step.index + 1}/{m.n_pool}: pooled[{r}, {col}]"
        self.position.setText(f"step {c.step + 1} of {m.total} — {where}")

    def _on_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if text:
            self.messageRaised.emit(text)

    def _on_playing(self, playing: bool) -> None:
        if not playing:
            self._chrome_timer.stop()
            self._update_chrome()
        sp = QStyle.StandardPixmap
        icon = sp.SP_MediaPause if playing else sp.SP_MediaPlay
        self.buttons["toggle"].setIcon(self.style().standardIcon(icon))

    def _on_speed(self, speed: float) -> None:
        self.speed_label.setText(f"{speed:g} steps/s")
        self.speed.blockSignals(True)
        self.speed.setValue(_speed_to_tick(speed))
        self.speed.blockSignals(False)

    def _on_params(self) -> None:
        self.relu.blockSignals(True)
        self.relu.setChecked(self.model.relu)
        self.relu.blockSignals(False)

    def _on_relu_toggled(self, on: bool) -> None:
        self.model.workspace.set_params(activation="relu" if on else "none")

    def shutdown(self) -> None:
        """Stop the clock, any export and training; release the key filter."""
        self.player.pause()
        self.model.cancel_training()
        self.exporter.cancel()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
