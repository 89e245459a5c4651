"""Data sets: loading drum MIDI folders, standardising, augmenting, and the trap corpus."""
