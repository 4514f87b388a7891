"""Documents (the draft platform, motions), their versions and clauses."""
