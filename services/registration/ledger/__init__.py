"""The case file: the per-dossier ledger the registration service keeps of every event about a
case from every service, its signed checkpoints, the history, export, verification and
reconciliation built on it (docs/adr/0006-case-file-ledger.md). Hashing is in shared.ledger."""
