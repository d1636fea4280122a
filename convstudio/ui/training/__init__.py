"""The Training tab: a small Keras CNN learning in a worker thread, watched live.

``model.py`` holds the state (made with the window), ``tab.py`` the widgets (built when the tab
is first shown); importing this package imports neither.
"""
