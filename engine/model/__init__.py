"""The serving model: config, features, the NumPy LSTM, sampler, style prior (no TensorFlow)."""
