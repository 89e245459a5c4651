"""The sampler's calibration (engine.training.calibration), on a tiny random LSTM: the
corrections have the sampler's shapes, bring the written onset rates towards the training
beats', and leave the model's own tables as they were."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.dataset import Performance
from engine.model.lstm import DrumLSTM
from engine.music.drums import CLOSED_HAT, KICK, N_CLASSES, N_EVENTS, SNARE, STEPS_PER_BAR
from engine.music.pattern import Pattern
from engine.training.calibration import calibrate
from tests.engine.model.test_lstm import META, STYLES, tiny_weights


def beat(bpm: float, style: str, fill: bool = False) -> Performance:
    pattern = Pattern.empty(2 * STEPS_PER_BAR)
    for cls, steps in ((KICK, range(0, 32, 8)), (SNARE, range(4, 32, 8)),
                       (CLOSED_HAT, range(0, 32, 2))):
        pattern.velocity[list(steps), cls] = 90
        pattern.offset[list(steps), cls] = 0.1
    return Performance(f"{style}{bpm}.mid", pattern, style, "train", fill, bpm)


@pytest.fixture(scope="module")
def calibrated():
    lstm = DrumLSTM(tiny_weights(seed=3), META)
    tables = lstm.style_prior, lstm.velocity_shift, lstm.offset_shift
    prior = np.zeros((len(STYLES) + 1, 2, STEPS_PER_BAR, N_EVENTS), np.float32)
    beats = [beat(bpm, style) for style in STYLES for bpm in (90.0, 140.0)]
    result = calibrate(lstm, [*beats, beat(90.0, "rock", fill=True)], prior, rounds=1)
    return lstm, tables, result


def test_the_corrections_have_the_samplers_shapes(calibrated):
    _, _, result = calibrated
    rows = (len(STYLES) + 1, 2, STEPS_PER_BAR)

    assert result.event_bias.shape == (*rows, N_EVENTS) and result.event_bias.dtype == np.float32
    assert result.velocity_shift.shape == result.offset_shift.shape == (*rows, N_CLASSES)


def test_one_round_brings_the_onsets_velocities_and_timing_closer(calibrated):
    _, _, result = calibrated
    report = result.report

    # per bar: 2 kicks, 2 snares and 8 hats, and a little more from smoothing the empty cells
    assert report["rounds"] == 1 and 12 <= report["target_hits_per_bar"] < 15
    for figure in ("rate", "velocity", "offset"):
        assert report["after"][figure] < report["before"][figure], figure
    assert (result.velocity_shift > 0).any() and (result.offset_shift != 0).any()


def test_the_models_own_tables_are_put_back(calibrated):
    lstm, tables, _ = calibrated
    now = (lstm.style_prior, lstm.velocity_shift, lstm.offset_shift)
    assert all(table is kept for table, kept in zip(now, tables, strict=True))
