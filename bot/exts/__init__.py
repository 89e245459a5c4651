"""Bot extensions, one feature each; loaded in `BeatBot.setup_hook`."""
