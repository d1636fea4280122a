"""Training: datasets, the lessons' CNN and a training session. Keras, no Qt.

Importing this package loads neither TensorFlow nor Keras; the functions that need them import
them when called.
"""

import os

# TensorFlow's C++ start-up chatter says nothing a student can act on.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
