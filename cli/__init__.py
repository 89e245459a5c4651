"""The `beatbot` command line: one module per subcommand, heavy imports inside each."""
