"""Training: datasets, the lessons' CNN and a training session. Keras, no Qt.

Importing this package loads neither TensorFlow nor Keras; the functions that need them import
them when called.
"""

import os

# TensorFlow's C++ start-up chatter says nothing a student can act on.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# How the learning rate moves over a run (TrainingConfig.lr_schedule); here, not in session.py,
# so that lessons can check a lesson file without importing the training session.
LR_SCHEDULES = ("cosine", "constant")
