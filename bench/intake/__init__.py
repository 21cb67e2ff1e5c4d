"""B1 intake: dossiers created and submitted per second against a one-insert ceiling."""
