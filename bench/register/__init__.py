"""B-register: the public register's search under load (see run.py)."""
