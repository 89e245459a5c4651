"""BeatBot's Discord layer: settings, the bot, its extensions and the request log."""
