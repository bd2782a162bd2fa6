"""What organizers, operators, guests and the worker do to galleries and photos, one
module per domain (each states its invariants in its opening docstring). Nothing is
re-exported here: import from the module that does the work."""
