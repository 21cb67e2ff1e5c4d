"""Use cases of the registration service: keyword-only functions, one unit of work each."""
