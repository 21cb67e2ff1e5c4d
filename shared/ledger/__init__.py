"""The case file's ledger, as a contract: canonical JSON, the two hash chains, signed
checkpoints and the case-file archive with its offline verifier.

Only the standard library and ``cryptography`` (Ed25519) are imported here, so an auditor can
verify an exported case file with this package alone, without the services or a database.
"""
