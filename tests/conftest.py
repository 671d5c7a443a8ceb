"""Integration tests across packages: each drives real apps over 127.0.0.1."""
