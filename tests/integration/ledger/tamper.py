"""What someone with write access to the registration database (but not the signing key) can
do to the ledger, naive or covering their tracks: each alteration returns where it happened so
the test can check the verifiers point there."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from services.registration.models import LedgerCheckpoint, LedgerEntry, LedgerHead
from shared.ledger import checkpoint as signed
from shared.ledger.canonical import canonical
from shared.ledger.chain import GENESIS, case_link, global_link

E = LedgerEntry.__table__
H = LedgerHead.__table__
C = LedgerCheckpoint.__table__
SHIFT = 1_000_000_000


@dataclass(frozen=True)
class Alteration:
    name: str
    seq: int | None = None  # the entry altered (or where the forgery starts)
    smart: bool = False  # the chains were recomputed afterwards: only signatures can tell
    checkpoint: int | None = None  # the checkpoint altered


def _entry(session: Session, seq: int):
    return session.execute(select(E).where(E.c.seq == seq)).one()


def flip_byte(session: Session, rnd: random.Random, seq: int) -> Alteration:
    body = bytearray(_entry(session, seq).body)
    body[rnd.randrange(len(body))] ^= 1 << rnd.randrange(8)
    session.execute(update(E).where(E.c.seq == seq).values(body=bytes(body)))
    return Alteration("flip a byte", seq)


def flip_hash(session: Session, rnd: random.Random, seq: int) -> Alteration:
    column = rnd.choice(["case_hash", "global_hash", "global_prev"])
    session.execute(update(E).where(E.c.seq == seq).values({column: rnd.randbytes(32)}))
    return Alteration(f"overwrite {column}", seq)


def delete_entry(session: Session, _rnd: random.Random, seq: int) -> Alteration:
    session.execute(delete(E).where(E.c.seq == seq))
    return Alteration("delete", seq)


def move_to_other_case(session: Session, _rnd: random.Random, seq: int) -> Alteration:
    session.execute(update(E).where(E.c.seq == seq).values(dossier_id=uuid.uuid4()))
    return Alteration("move to another case", seq)


def swap_within_case(session: Session, rnd: random.Random, seq: int) -> Alteration:
    row = _entry(session, seq)
    others = session.execute(
        select(E.c.seq, E.c.n).where(E.c.dossier_id == row.dossier_id, E.c.seq != seq)
    ).all()
    other_seq, other_n = rnd.choice(others)
    session.execute(update(E).where(E.c.seq == seq).values(n=-1))
    session.execute(update(E).where(E.c.seq == other_seq).values(n=row.n))
    session.execute(update(E).where(E.c.seq == seq).values(n=other_n))
    return Alteration("reorder", min(seq, other_seq))


def rewrite_payload_and_rechain(session: Session, rnd: random.Random, seq: int) -> Alteration:
    row = _entry(session, seq)
    data = json.loads(row.body)
    data["payload"]["forged"] = rnd.random()
    session.execute(update(E).where(E.c.seq == seq).values(body=canonical(data)))
    rechain(session, seq)
    return Alteration("rewrite and rechain", seq, smart=True)


def delete_and_rechain(session: Session, _rnd: random.Random, seq: int) -> Alteration:
    row = _entry(session, seq)
    session.execute(delete(E).where(E.c.seq == seq))
    _shift(session, seq + 1, -1, row.dossier_id, row.n + 1)
    rechain(session, seq)
    return Alteration("delete and rechain", seq, smart=True)


def insert_and_rechain(session: Session, _rnd: random.Random, seq: int) -> Alteration:
    row = _entry(session, seq)
    _shift(session, seq, +1, row.dossier_id, row.n)
    data = json.loads(row.body)
    data["event_id"] = str(uuid.uuid4())
    data["payload"] = {"forged": True}
    session.execute(
        insert(E).values(
            seq=seq,
            dossier_id=row.dossier_id,
            n=row.n,
            event_id=uuid.UUID(data["event_id"]),
            kind=row.kind,
            occurred_at=row.occurred_at,
            actor_id=row.actor_id,
            body=canonical(data),
            case_hash=GENESIS,
            global_prev=GENESIS,
            global_hash=GENESIS,
        )
    )
    rechain(session, seq)
    return Alteration("insert and rechain", seq, smart=True)


def truncate(session: Session, rnd: random.Random, _seq: int) -> Alteration:
    last = session.execute(select(E.c.seq).order_by(E.c.seq.desc()).limit(1)).scalar_one()
    cut = last - rnd.randrange(1, 4)
    session.execute(delete(E).where(E.c.seq > cut))
    rechain(session, cut + 1)
    return Alteration("truncate", cut + 1, smart=True)


def resign_checkpoint(session: Session, rnd: random.Random, number: int) -> Alteration:
    row = session.execute(select(C).where(C.c.number == number)).one()
    statement = signed.parse(row.statement)
    if rnd.random() < 0.5:  # a forged head too
        statement = signed.Statement(**{**_fields(statement), "head": rnd.randbytes(32).hex()})
    signature = signed.sign(statement, Ed25519PrivateKey.generate())
    session.execute(
        update(C)
        .where(C.c.number == number)
        .values(statement=statement.to_bytes(), signature=signature)
    )
    return Alteration("re-sign with another key", checkpoint=number)


def replay_stale_checkpoint(session: Session, rnd: random.Random, number: int) -> Alteration:
    stale = session.execute(select(C).where(C.c.number == rnd.randrange(1, number))).one()
    session.execute(
        update(C)
        .where(C.c.number == number)
        .values(statement=stale.statement, signature=stale.signature)
    )
    return Alteration("replay a stale checkpoint", checkpoint=number)


def _fields(statement: signed.Statement) -> dict:
    return {
        "number": statement.number,
        "seq": statement.seq,
        "head": statement.head,
        "previous": statement.previous,
        "signed_at": statement.signed_at,
        "key_id": statement.key_id,
    }


def _shift(session: Session, from_seq: int, by: int, dossier_id: uuid.UUID, from_n: int) -> None:
    """Move entries from ``from_seq`` by ``by`` in the global order, and the case's entries from
    ``from_n`` by ``by`` in the case (through a far offset, to pass the unique keys)."""
    session.execute(update(E).where(E.c.seq >= from_seq).values(seq=E.c.seq + SHIFT))
    session.execute(update(E).where(E.c.seq >= SHIFT).values(seq=E.c.seq - SHIFT + by))
    case = (E.c.dossier_id == dossier_id) & (E.c.n >= from_n)
    session.execute(update(E).where(case).values(n=E.c.n + SHIFT))
    session.execute(update(E).where(case).values(n=E.c.n - SHIFT + by))


def rechain(session: Session, from_seq: int) -> None:
    """Recompute both chains (and the bodies' own seq and n) from ``from_seq``, and the heads:
    everything an attacker can redo without the signing key."""
    head, cases = GENESIS, {}
    rows = session.execute(
        select(E.c.seq, E.c.dossier_id, E.c.n, E.c.body, E.c.case_hash, E.c.global_hash).order_by(
            E.c.seq
        )
    ).all()
    for seq, dossier, n, body, case_hash, global_hash in rows:
        if seq >= from_seq:
            data = json.loads(body)
            data["seq"], data["n"] = seq, n
            body = canonical(data)
            case_hash = case_link(cases.get(dossier, (0, GENESIS))[1], body)
            previous, global_hash = head, global_link(head, case_hash, dossier.bytes)
            session.execute(
                update(E)
                .where(E.c.seq == seq)
                .values(
                    body=body, case_hash=case_hash, global_prev=previous, global_hash=global_hash
                )
            )
        head = global_hash
        cases[dossier] = (n, case_hash)
    session.execute(update(H).where(H.c.chain == "global").values(length=rows[-1][0], head=head))
    for dossier, (n, case_hash) in cases.items():
        session.execute(update(H).where(H.c.chain == str(dossier)).values(length=n, head=case_hash))


ENTRY_ALTERATIONS = (
    flip_byte,
    flip_hash,
    delete_entry,
    move_to_other_case,
    swap_within_case,
    rewrite_payload_and_rechain,
    delete_and_rechain,
    insert_and_rechain,
    truncate,
)
CHECKPOINT_ALTERATIONS = (resign_checkpoint, replay_stale_checkpoint)
