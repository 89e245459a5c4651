"""Benchmarks: speed of generation, the whole request, start-up, and the bot under load."""
