"""The offline verifier against at least 1,000 random mutations of an exported case file
(docs/quality.md item 9): byte flips, deletions, insertions, reorders, truncations, edited links and
bridge, a stale checkpoint, a checkpoint re-signed with another key. Every one is rejected."""

from __future__ import annotations

import io
import json
import os
import random
import uuid
import zipfile
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.ledger import casefile
from shared.ledger import checkpoint as signed
from shared.ledger.canonical import canonical
from tests.support import ledger as synthetic

MUTATIONS = int(os.environ.get("OCOP_TAMPER_MUTATIONS", "1200"))
SEED = int(os.environ.get("OCOP_TAMPER_SEED", str(random.randrange(2**32))))
CASES = [uuid.UUID(int=i + 1) for i in range(4)]
KEY = Ed25519PrivateKey.generate()
PINNED = signed.public_pem(KEY.public_key()).encode()

Files = dict[str, bytes]


@pytest.fixture(scope="module")
def exported() -> tuple[Files, casefile.SignedCheckpoint]:
    """A case file of CASES[0], and a stale checkpoint from before its last entries."""
    ledger = list(synthetic.rows(CASES, 160))
    mine = [r[0] for r in ledger if r[1] == CASES[0].bytes]
    stale = synthetic.checkpoint(ledger, KEY, upto=mine[-3])
    data = synthetic.archive(ledger, CASES[0], KEY)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}, stale


def pack(files: Files) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def lines(files: Files, name: str) -> tuple[list[bytes], bytes]:
    """The data lines of a file and its header (empty for entries.jsonl)."""
    all_lines = files[name].split(b"\n")[:-1]
    return (all_lines, b"") if name == "entries.jsonl" else (all_lines[1:], all_lines[0])


def put(files: Files, name: str, data: list[bytes], header: bytes) -> None:
    files[name] = b"".join(line + b"\n" for line in ([header] if header else []) + data)


def flip_entry_byte(files: Files, rnd: random.Random, _stale) -> None:
    entries, _ = lines(files, "entries.jsonl")
    i = rnd.randrange(len(entries))
    line = bytearray(entries[i])
    pos = rnd.randrange(len(line))
    line[pos] = line[pos] ^ (1 << rnd.randrange(7)) or 0x41
    entries[i] = bytes(line).replace(b"\n", b"x")
    put(files, "entries.jsonl", entries, b"")


def _both(files: Files, edit: Callable[[list[bytes]], None]) -> None:
    """The same edit on entries and their links (an editor who keeps them in step)."""
    for name in ("entries.jsonl", "links.csv"):
        data, header = lines(files, name)
        edit(data)
        put(files, name, data, header)


def delete_entry(files: Files, rnd: random.Random, _stale) -> None:
    i = rnd.randrange(len(lines(files, "entries.jsonl")[0]))
    _both(files, lambda d: d.pop(i))


def insert_entry(files: Files, rnd: random.Random, _stale) -> None:
    data = lines(files, "entries.jsonl")[0]
    i, j = rnd.randrange(len(data)), rnd.randrange(len(data))
    _both(files, lambda d: d.insert(i, d[j]))


def reorder(files: Files, rnd: random.Random, _stale) -> None:
    count = len(lines(files, "entries.jsonl")[0])
    i, j = rnd.sample(range(count), 2)

    def swap(d: list[bytes]) -> None:
        d[i], d[j] = d[j], d[i]

    _both(files, swap)


def truncate(files: Files, rnd: random.Random, _stale) -> None:
    cut = rnd.randrange(1, len(lines(files, "entries.jsonl")[0]))
    _both(files, lambda d: d.__delitem__(slice(-cut, None)))
    files["manifest.json"] = files["manifest.json"].replace(b'"entries":', b'"entries":', 1)
    manifest = __import__("json").loads(files["manifest.json"])
    manifest["entries"] -= cut
    files["manifest.json"] = canonical(manifest)


def edit_link(files: Files, rnd: random.Random, _stale) -> None:
    name = rnd.choice(["links.csv", "bridge.csv"])
    data, header = lines(files, name)
    if not data:
        data, header, name = *lines(files, "links.csv"), "links.csv"
    i = rnd.randrange(len(data))
    cells = data[i].split(b",")
    k = rnd.randrange(len(cells))
    cell = bytearray(cells[k])
    p = rnd.randrange(len(cell))
    cell[p] = ord("0") + (cell[p] - ord("0") + 1) % 10 if chr(cell[p]).isdigit() else ord("0")
    cells[k] = bytes(cell)
    data[i] = b",".join(cells)
    put(files, name, data, header)


def drop_bridge_row(files: Files, rnd: random.Random, _stale) -> None:
    data, header = lines(files, "bridge.csv")
    if data:
        data.pop(rnd.randrange(len(data)))
    else:  # nothing after the case: drop its checkpoint instead
        files.pop("checkpoint.json")
    put(files, "bridge.csv", data, header)


def stale_checkpoint(files: Files, _rnd: random.Random, stale: casefile.SignedCheckpoint) -> None:
    files["checkpoint.json"] = canonical(
        {"statement": stale.statement.decode(), "signature": stale.signature}
    )


def resign(files: Files, rnd: random.Random, _stale) -> None:
    """Another key signs the statement (optionally a forged head); its public key replaces the
    published one in the archive, which only the pinned key tells apart."""
    raw = json.loads(files["checkpoint.json"])
    statement = signed.parse(raw["statement"].encode())
    if rnd.random() < 0.5:
        statement = signed.Statement(
            statement.number,
            statement.seq,
            rnd.randbytes(32).hex(),
            statement.previous,
            statement.signed_at,
            statement.key_id,
        )
    other = Ed25519PrivateKey.generate()
    files["checkpoint.json"] = canonical(
        {"statement": statement.to_bytes().decode(), "signature": signed.sign(statement, other)}
    )
    if rnd.random() < 0.5:
        files["public_key.pem"] = signed.public_pem(other.public_key()).encode()


OPERATIONS = (
    flip_entry_byte,
    delete_entry,
    insert_entry,
    reorder,
    truncate,
    edit_link,
    drop_bridge_row,
    stale_checkpoint,
    resign,
)


def test_the_untouched_case_file_is_valid(exported) -> None:
    files, _stale = exported
    report = casefile.verify_bytes(pack(files), PINNED)
    assert report.valid and report.covered, report.text()
    assert report.key_fingerprint == signed.fingerprint(KEY.public_key())


def test_every_mutation_is_rejected(exported) -> None:
    files, stale = exported
    rnd = random.Random(SEED)
    tried: dict[str, int] = {}
    for i in range(MUTATIONS):
        operation = rnd.choice(OPERATIONS)
        mutated = dict(files)
        operation(mutated, rnd, stale)
        if mutated == files:
            continue
        report = casefile.verify_bytes(pack(mutated), PINNED)
        assert not report.valid, f"seed {SEED} mutation {i} ({operation.__name__}) passed"
        assert report.problem
        tried[operation.__name__] = tried.get(operation.__name__, 0) + 1
    assert set(tried) == {op.__name__ for op in OPERATIONS}
    assert sum(tried.values()) >= min(MUTATIONS, 1000) * 0.95


def test_a_broken_entry_is_located(exported) -> None:
    files, _stale = exported
    entries, _ = lines(files, "entries.jsonl")
    mutated = dict(files)
    entries[4] = entries[4].replace(b'"total":', b'"total":1', 1)
    put(mutated, "entries.jsonl", entries, b"")
    report = casefile.verify_bytes(pack(mutated), PINNED)
    assert (report.valid, report.n) == (False, 5)
    assert report.kind in synthetic.KINDS
    assert "entry 5" in report.text()


def test_unreadable_archives_are_reported_not_raised() -> None:
    assert not casefile.verify_bytes(b"not a zip").valid
    assert casefile.verify_bytes(pack({"manifest.json": b"{}"})).problem == (
        "not a case file (format None)"
    )
