"""Harvest backends over HTTP (no Qt). The engine sees only `backend.Backend` and `errors`."""
