"""Shared building blocks for every project: layers, callbacks, data, reports, CLI, training.

Importing `common` selects the TensorFlow backend for Keras (the collection is written for it)
unless the user chose another one, and quiets the C++ start-up logging of TensorFlow.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
