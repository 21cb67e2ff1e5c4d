"""Use cases of the evaluation service: keyword-only functions, one unit of work each."""
