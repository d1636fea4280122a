"""Issue 16: a snapshot carries the probe image its feature maps are of, and its class."""

import threading

import numpy as np

from convstudio.training.datasets import shapes_dataset
from convstudio.training.models import ConvBlock, ModelConfig
from convstudio.training.session import TrainingConfig, prepare_images, train


class Snapshots:
    def __init__(self):
        self.seen = []

    def on_started(self, info):
        pass

    def on_batch(self, event):
        pass

    def on_epoch(self, event):
        pass

    def on_snapshot(self, snap):
        self.seen.append(snap)


def test_the_snapshot_shows_the_probe_image_the_maps_are_of():
    ds = shapes_dataset(n_train=160, n_test=12, seed=2)
    config = TrainingConfig(dataset="shapes", model=ModelConfig((ConvBlock(4),), 8), epochs=1,
                            batch_size=32, validation_split=0.0, probe_index=30,
                            snapshot_every=2, snapshot_seconds=0.0)
    rec = Snapshots()
    train(config, rec, threading.Event(), dataset=ds)
    assert rec.seen
    last = len(ds.x_test) - 1  # an index past the test images: the last one
    for snap in rec.seen:
        assert snap.probe_index == last and snap.probe_class == int(ds.y_test[last])
        np.testing.assert_array_equal(snap.probe_image, prepare_images(ds.x_test[last])[0, :, :, 0])
    assert rec.seen[0].probe_image is not rec.seen[-1].probe_image  # each a copy to keep
