"""Offline verification of an exported case file: ``python -m shared.ledger FILE [--key PEM]``
(the same as ``ocop audit verify FILE``). Needs only this package and ``cryptography``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shared.ledger.casefile import verify_bytes


def verify_file(path: str, key: str | None = None, as_json: bool = False) -> int:
    """Print the verdict on one archive; exit status 0 when valid, 1 otherwise."""
    try:
        data = Path(path).read_bytes()
        trusted = Path(key).read_bytes() if key else None
    except OSError as exc:
        print(f"{exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    report = verify_bytes(data, trusted)
    print(json.dumps(report.to_dict(), ensure_ascii=False) if as_json else report.text())
    return 0 if report.valid else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.ledger", description=__doc__)
    parser.add_argument("file", help="the case file archive (zip)")
    parser.add_argument("--key", help="the ledger's public key (PEM) you trust, pinned")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    return verify_file(args.file, args.key, args.json)


if __name__ == "__main__":
    sys.exit(main())
