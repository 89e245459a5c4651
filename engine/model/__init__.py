"""The serving model: config, features, the NumPy LSTM and its sampler (no TensorFlow)."""
