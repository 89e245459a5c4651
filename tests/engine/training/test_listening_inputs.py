"""The training inputs of the listening model: knob buckets per window, Tap2Drum taps from a
beat's own onsets, the drift of the timing just played, and the tuning slice."""

import numpy as np
import pytest

from engine.data.dataset import Performance
from engine.model.features import (
    DRIFT_NONE,
    KNOB_UNSET,
    TAP_NONE,
    drift_bucket,
    drift_inputs,
    knob_bucket,
    tap_tokens,
)
from engine.music.drums import CLOSED_HAT, KICK, SNARE
from engine.music.pattern import Pattern
from engine.training.examples import Example, fit_conditioning, material_taps, windows
from engine.training.train import tuning_sessions


def _beat(hits_per_bar: int, velocity: int, bars: int = 4, late: float = 0.0) -> Pattern:
    pattern = Pattern.empty(16 * bars)
    steps = np.linspace(0, 15, hits_per_bar).astype(int)
    for bar in range(bars):
        pattern.velocity[16 * bar + steps, CLOSED_HAT] = velocity
        pattern.velocity[16 * bar, KICK] = velocity
        pattern.velocity[16 * bar + 4, SNARE] = velocity
        pattern.offset[16 * bar + steps, CLOSED_HAT] = late
    return pattern


@pytest.mark.parametrize(("value", "bucket"), [(None, KNOB_UNSET), (0.0, 0), (0.25, 1),
                                               (0.5, 2), (0.6, 2), (1.0, 4)])
def test_knob_values_pick_one_of_five_settings(value, bucket):
    assert knob_bucket(value) == bucket


def test_taps_say_the_mode_and_the_timing():
    onsets = np.array([True, False, True])
    every = tap_tokens(onsets, np.array([-0.4, 0.0, 0.3]), "all")
    kick_snare = tap_tokens(onsets, np.array([-0.4, 0.0, 0.3]), "kick_snare")
    assert TAP_NONE not in every and len(set(every) | set(kick_snare)) == 6
    assert every[0] < every[2]  # early and late taps differ


def test_kick_and_snare_taps_leave_out_the_hats():
    beat = _beat(8, 90, bars=1)
    every = material_taps(beat, None, "all")
    kick_snare = material_taps(beat, (KICK, SNARE), "kick_snare")
    assert (every != every.min()).sum() == 8  # the hat steps hold the kick's and snare's
    assert (kick_snare != kick_snare.min()).sum() == 2


def test_drift_is_a_running_mean_of_how_far_off_the_hits_sat():
    beat = _beat(4, 90, bars=2, late=0.12)
    drift = drift_inputs(beat, np.zeros((16, 9), np.float32))
    assert drift[0] == DRIFT_NONE
    hats = [0, 5, 10, 15]  # with the kick on 0 and the snare alone on 4
    assert hats == np.linspace(0, 15, 4).astype(int).tolist()
    assert drift[1] == drift_bucket(np.array([0.12 / 2]))[0]  # step 0: kick 0, hat 0.12
    assert drift[5] == drift_bucket(np.array([0.03]))[0]  # then the snare alone, on the grid
    assert drift[6] == drift[9] == drift_bucket(np.array([0.075]))[0]  # then a hat, late


def _example(pattern: Pattern, style: int = 0) -> Example:
    return Example(pattern, style, np.zeros(pattern.steps, np.int64), 3)


def test_windows_get_their_busy_and_loud_buckets_against_their_style():
    items = [_example(_beat(n, v)) for n in (4, 6, 8, 12, 16) for v in (40, 60, 80, 100, 120)]
    items = items * 4
    conditioning = fit_conditioning(items, 1, 64, 32)
    data = windows(items, 64, 32, conditioning)

    assert np.all(np.diff(conditioning.busy_edges[0]) >= 0)
    sparse = data["busy_set"][:, 0][data["event"].astype(bool).sum(axis=1) < 20]
    assert set(sparse) <= {0, 1}
    assert data["busy_set"].max() == 4 and data["loud_set"].max() == 4
    assert {"tap_all", "tap_kick_snare", "drift"} <= set(data)
    assert (data["busy"] == KNOB_UNSET).all()  # the sequence inputs stay unset


def test_drift_is_measured_against_the_style_s_own_feel():
    # style 0 plays its hats laid back, every hit alike; style 1 on the grid
    items = [_example(_beat(8, 90, late=0.15), 0), _example(_beat(8, 90), 1)] * 20
    conditioning = fit_conditioning(items, 2, 64, 32)
    data = windows(items, 64, 32, conditioning)

    means = conditioning.offset_mean[:, 0, CLOSED_HAT]
    # each style leans on all beats' 0.075 as if with 16 hits, against its own 80
    assert np.allclose(means, [0.1375, 0.0125, 0.075], atol=1e-4)
    on_feel = drift_bucket(np.array([0.0]))[0]
    laid_back = data["drift"][::2, 16:]  # style 0's windows, once it has played
    assert (laid_back == on_feel).all()


def test_the_tuning_slice_is_whole_sessions_and_about_its_share():
    performances = [Performance(f"{s}/{i}.mid", Pattern.empty(16), "rock", "train", False,
                                100.0, f"drummer{s}/session1")
                    for s in range(12) for i in range(10 + s)]
    chosen = tuning_sessions(performances, 0.1)
    held = sum(p.group in chosen for p in performances)
    assert chosen and 0.08 <= held / len(performances) <= 0.2
    assert tuning_sessions(performances, 0.0) == []
