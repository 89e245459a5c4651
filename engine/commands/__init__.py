"""Subcommands of the `beatbot` command line."""
