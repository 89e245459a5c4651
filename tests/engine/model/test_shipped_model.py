"""The shipped model against the Groove validation split (needs the data; CI has it)."""

import pytest

from engine.data.dataset import load_folder
from engine.model.generator import DEFAULT_MODEL
from engine.model.lstm import DrumLSTM
from engine.training.evaluate import model_bits_per_step
from engine.training.examples import examples
from engine.training.ngram import best_ngram


@pytest.mark.groove
def test_the_model_beats_the_ngram_baseline_by_a_quarter(groove_dir):
    lstm = DrumLSTM.load(DEFAULT_MODEL)
    corpus = load_folder(groove_dir)
    train = examples(corpus.split("train"), lstm.styles)
    held = examples(corpus.split("validation"), lstm.styles)
    _, ngram = best_ngram([e.pattern.events() for e in train],
                          [e.pattern.events() for e in held], orders=(2, 3))
    assert model_bits_per_step(lstm, held) <= 0.75 * min(ngram.values())
