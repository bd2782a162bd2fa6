"""Find me's work, one module per domain (each states its invariants in its opening
docstring): indexing, search, find_me, results_token, compare. Nothing is re-exported
here: import from the module that does the work. Reads are in faces/selectors.py, the
privacy text and consent receipts in faces/consent.py, hide requests in faces/privacy.py."""
