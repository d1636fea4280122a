"""ConvStudio: a desktop studio that teaches how convolutional neural networks see."""

__version__ = "0.1.0"
