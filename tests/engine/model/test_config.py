"""Model configs as model files keep them."""

from engine.model.config import CONFIGS, ModelConfig
from engine.model.generator import DEFAULT_MODEL
from engine.model.lstm import DrumLSTM


def test_a_config_comes_back_from_a_model_files_metadata():
    for config in CONFIGS.values():
        assert ModelConfig.from_dict(config.as_dict()) == config


def test_a_setting_this_version_does_not_know_is_left_out():
    values = {**CONFIGS["tiny"].as_dict(), "event_lags": ["prev", "back1"], "gone": 0.5}
    config = ModelConfig.from_dict(values)
    assert config.event_lags == ("prev", "back1")
    assert config.hidden == CONFIGS["tiny"].hidden


def test_the_shipped_models_config_reads_back():
    meta = DrumLSTM.load(DEFAULT_MODEL).meta
    assert ModelConfig.from_dict(meta["config"]).hidden == meta["config"]["hidden"]
