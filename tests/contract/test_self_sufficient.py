"""The repository explains itself: nothing it holds sends a reader outside it.

A clone holds the code, its tests and `docs/`; the programme's shared documents beside the
project, and the tracker's issue numbers, are not in it. So no tracked file may name those
documents, a path up into the shared folder, or an issue by number; the rules and decisions they
carried are in `docs/domain.md`, `docs/quality.md` and `docs/adr/`. And every relative link in
README.md and `docs/` leads to a file of the repository (and, for a Markdown file, to a heading
it has), as does every `docs/…md#section` that code or docs name in passing.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: This file names what it looks for.
SELF = "tests/contract/test_self_sufficient.py"

# The shared documents are named in capitals, with or without ".md" (`DOMAIN "Certificates"`,
# `QUALITY 11`).
_OUTSIDE = re.compile(
    r"\b(?:" + "|".join(("DOMAIN", "QUALITY", "ARCHITECTURE", "STYLE")) + r")\b"
    r"|\b(?i:issues?)\s*" + "#" + r"\d+"
)
# A path up to a "shared" folder: the repository's own from inside docs/, the one beside the
# project from anywhere else.
_UP_TO_SHARED = re.compile(r"((?:\.\./)+)shared\b")
_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s*\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_NAMED_SECTION = re.compile(r"\bdocs/[\w./-]+\.md#[\w-]+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


@cache
def tracked() -> tuple[str, ...]:
    run = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    )
    return tuple(name for name in run.stdout.decode().split("\0") if name)


def _text(name: str) -> str | None:
    path = ROOT / name
    if not path.is_file():
        return None  # deleted in the working tree, not yet in the index
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # binary (fonts, images)
    return data.decode("utf-8", errors="replace")


def _documents() -> list[str]:
    """README.md and every Markdown file under docs/ (those being written included)."""
    docs = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "docs").rglob("*.md"))
    return ["README.md", *docs]


def anchor(heading: str) -> str:
    """The anchor a Markdown heading gets (GitHub's rule: lower case, punctuation dropped,
    spaces to hyphens)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    found = set()
    for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE):
        slug = anchor(match.group(1))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return frozenset(found)


def _outside(path: Path) -> bool:
    return not path.resolve().is_relative_to(ROOT)


def paths_up_to_shared(name: str, line: str) -> list[str]:
    """The paths up to a "shared" folder in a line of the file ``name`` that leave the
    repository (from docs/, ``../shared`` is the repository's own)."""
    return [
        up.group(0)
        for up in _UP_TO_SHARED.finditer(line)
        if _outside((ROOT / name).parent / up.group(1))
    ]


def _broken(target: Path, fragment: str) -> str | None:
    """Why ``target#fragment`` leads nowhere, or ``None`` when it leads somewhere."""
    if _outside(target):
        return "outside the repository"
    if not target.exists():
        return "no such file"
    if fragment and target.suffix == ".md" and fragment not in anchors(target):
        return f"no heading #{fragment}"
    return None


def test_no_tracked_file_names_what_a_clone_lacks() -> None:
    found = []
    for name in tracked():
        text = _text(name)
        if text is None or name == SELF:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if match := _OUTSIDE.search(line):
                found.append(f"{name}:{number}: {match.group(0)!r}")
            found.extend(f"{name}:{number}: {up!r}" for up in paths_up_to_shared(name, line))
    assert not found, (
        "these name documents or issues outside the repository; point at docs/domain.md, "
        "docs/quality.md or an ADR instead, or say the point in words:\n" + "\n".join(found)
    )


def test_links_in_the_docs_lead_to_files_of_the_repository() -> None:
    documents = _documents()
    assert "README.md" in documents and "docs/domain.md" in documents
    broken = []
    for name in documents:
        source = ROOT / name
        text = _FENCE.sub("", source.read_text(encoding="utf-8"))
        for link in [*_LINK.findall(text), *_REFERENCE.findall(text)]:
            if _SCHEME.match(link) or link.startswith("//"):
                continue  # a web address
            path, _, fragment = link.partition("#")
            target = source if not path else source.parent / path
            if why := _broken(target, fragment):
                broken.append(f"{name}: ({link}): {why}")
    assert not broken, "broken relative links:\n" + "\n".join(broken)


def test_sections_named_in_passing_exist() -> None:
    broken = []
    for name in tracked():
        text = _text(name)
        if text is None or name == SELF:
            continue
        for named in set(_NAMED_SECTION.findall(text)):
            path, _, fragment = named.partition("#")
            if why := _broken(ROOT / path, fragment):
                broken.append(f"{name}: {named}: {why}")
    assert not broken, "sections named that do not exist:\n" + "\n".join(broken)


def test_the_anchor_rule() -> None:
    assert anchor("Where a result sends the dossier") == "where-a-result-sends-the-dossier"
    assert anchor("`dossier.submitted` (v1, from registration)") == (
        "dossiersubmitted-v1-from-registration"
    )
    assert anchor("Regimes and levels") in anchors(ROOT / "docs/domain.md")


def test_a_path_up_to_shared_is_outside_only_beyond_the_root() -> None:
    ups = paths_up_to_shared
    assert ups("docs/domain.md", "[calendar](../shared/calendar.py)") == []
    assert ups("docs/services/portal.md", "[`config`](../../shared/config.py)") == []
    assert ups("README.md", "see ../shared/docs") == ["../shared"]
    assert ups("docs/domain.md", "the sheets in ../../shared/rubrics") == ["../../shared"]
