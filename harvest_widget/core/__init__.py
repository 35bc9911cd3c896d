"""Domain types and pure functions. No I/O, no Qt."""
