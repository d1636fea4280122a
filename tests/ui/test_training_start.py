"""The first Start of a fresh window: TensorFlow is imported on the training thread."""

import json
import subprocess
import sys
import textwrap


def test_the_first_start_imports_tensorflow_off_the_gui_thread_and_the_window_keeps_running():
    code = textwrap.dedent("""
        import importlib.abc, json, os, sys, threading, time
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        imported_on = []

        class Watch(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name in ("tensorflow", "keras"):
                    imported_on.append((name, threading.current_thread().name))
                return None

        sys.meta_path.insert(0, Watch())
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from convstudio.ui.main_window import MainWindow
        w = MainWindow(); w.save_session_on_close = False; w.show_tab("training"); w.show()
        t = w.training
        t.dataset_combo.setCurrentIndex(t.dataset_combo.findData("shapes"))
        while t.dataset is None or t.dataset.name != "shapes":
            app.processEvents(); time.sleep(0.01)
        t.limit.setValue(600); t.filters.setValue(8); t.dense.setValue(16); t.epochs.setValue(1)
        before = sorted({"tensorflow", "keras"} & set(sys.modules))
        ticks = []
        timer = QTimer(); timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        t0 = time.perf_counter()
        t.start()
        while not t.status.text().startswith("epoch"):
            app.processEvents(); time.sleep(0.002)
        t1 = time.perf_counter()
        marks = [t0, *ticks, t1]
        gap = max(b - a for a, b in zip(marks, marks[1:]))
        t.stop()
        while t.model.runner.running:
            app.processEvents(); time.sleep(0.01)
        w.close()
        print(json.dumps({"before": before, "on": imported_on, "gap": gap, "took": t1 - t0}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["before"] == []  # nothing had imported TensorFlow before the Start
    assert out["on"] and all(thread != "MainThread" for _, thread in out["on"]), out
    # Loose enough for a loaded CI machine; the benchmark's first-Start row measures it.
    assert out["gap"] < 2.0, out
