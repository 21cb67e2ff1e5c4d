"""Pure rules of the evaluation service: no Flask, SQLAlchemy or Celery here.

Modules: ``regime`` (levels and their authority), ``council_rules`` (quorum, spread),
``aggregation`` (a council's mean result), ``outcome`` (where a result sends a dossier),
``finalisation`` (closing a council's scoring), ``deadlines`` (the 45-day re-evaluation
decision and the 15-day revocation), ``rounds`` (evaluation rounds) and ``revocation``
(grounds). Working days and certificate validity are shared with registration
(``shared.calendar``, ``shared.certificates``).
"""
