"""The musical core: drum classes, the step grid, performed notes, MIDI in and out."""
