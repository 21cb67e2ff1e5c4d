"""Pure rules of the evaluation service: no Flask, SQLAlchemy or Celery here.

Modules: ``regime`` (levels and their authority), ``council_rules`` (quorum, spread),
``aggregation`` (a council's mean result), ``outcome`` (where a result sends a dossier),
``finalisation`` (closing a council's scoring), ``calendar`` (working days, deadlines),
``certificate`` (expiry, re-evaluation window), ``rounds`` (evaluation rounds) and
``revocation`` (grounds and deadline).
"""
