import pytest

from convstudio.training.models import ConvBlock, ModelConfig, build_model, summary


def test_lessons_cnn_summary_matches_keras():
    config = ModelConfig()
    rows = summary(config)
    assert [r.output_shape for r in rows] == [
        (None, 28, 28, 1), (None, 26, 26, 64), (None, 13, 13, 64), (None, 11, 11, 64),
        (None, 5, 5, 64), (None, 1600), (None, 128), (None, 10)]
    # The lessons' "how do 32 filters feed 64": each second-layer filter spans all channels.
    assert rows[3].params == 3 * 3 * 64 * 64 + 64
    model = build_model(config)
    assert model.count_params() == sum(r.params for r in rows) == 243786
    for row in rows[1:]:
        layer = model.get_layer(row.name)
        assert tuple(layer.output.shape) == row.output_shape
        assert layer.count_params() == row.params


@pytest.mark.parametrize("config", [
    ModelConfig(blocks=(ConvBlock(8, 5, True),), dense_units=16, dropout=0.25),
    ModelConfig(blocks=(ConvBlock(4, 3, False), ConvBlock(4, 3, True), ConvBlock(6, 3, True)),
                dense_units=8, n_classes=3),
])
def test_variants_summary_matches_keras(config):
    model = build_model(config, optimizer="sgd", learning_rate=0.01)
    assert model.count_params() == sum(r.params for r in summary(config))
    assert tuple(model.layers[-1].output.shape) == (None, config.n_classes)


def test_impossible_models_are_refused():
    with pytest.raises(ValueError, match="no pixels"):
        ModelConfig(blocks=(ConvBlock(8, 7, True), ConvBlock(8, 7, True), ConvBlock(8, 7, True)))
    with pytest.raises(ValueError, match="1 to 3"):
        ModelConfig(blocks=())
    with pytest.raises(ValueError, match="dropout"):
        ModelConfig(dropout=1.0)
