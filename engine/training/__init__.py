"""Training and evaluation: the Keras model, training windows, the n-gram, `beatbot eval`."""
