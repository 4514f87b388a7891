"""People, passwords, sessions and API tokens."""
