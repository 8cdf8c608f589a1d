"""One contract for the store, the progress tables and the unit of work, run on every adapter."""
