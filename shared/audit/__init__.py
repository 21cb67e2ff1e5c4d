"""The audit tool's shared half: the state each service publishes for an audit
(``shared.audit.state``) and the comparison of that state with the case-file ledger
(``shared.audit.reconcile``). It imports no service: each service exports its own side
(``services/<service>/audit_export.py``) and ``services/audit.py`` puts them together."""
