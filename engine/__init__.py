"""BeatBot's engine: drum data, the model, generation, MIDI, rendering. Never imports discord."""
