"""Entry points: CLI, HTTP API, worker, emulator and the composition root."""
