"""Archiving every received file by sha256, byte for byte, before anything parses it."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.home import Home

IGNORED_PREFIXES = (".", "~$")


@dataclass(frozen=True)
class ArchivedFile:
    """One distinct file in the archive and its first receipt."""

    sha256: str
    file_name: str
    received_at: datetime
    landed_at: datetime  # when the file was written to landing/ (its mtime, never after receipt)
    size_bytes: int
    path: Path
    symlink: bool = False  # landing held a link, not a file: its target is archived, never followed

    def read(self) -> bytes:
        """The original bytes."""
        return self.path.read_bytes()


@dataclass
class ArchiveReport:
    """What one pass over landing/ did."""

    archived: list[ArchivedFile]
    duplicates: list[str]


MAX_STEM_BYTES = 96  # of a stored name's readable part: far below the 255-byte limit of file systems
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def stored_name(sha256: str, file_name: str) -> str:
    """The name wuxing gives a file derived from a submission: a sha256 prefix, then the submitted
    name with unsafe characters replaced and its stem cut to MAX_STEM_BYTES of UTF-8 (whole
    characters); names are data, never paths. The submitted name itself is kept in metadata."""
    name = _UNSAFE_CHARS.sub("_", file_name).lstrip(". ") or "_"
    stem, dot, suffix = name.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,8}", suffix):
        stem, suffix = name, ""
    cut = stem.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", errors="ignore")
    return f"{sha256[:12]}_{cut}" + (f".{suffix}" if suffix else "")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that it is either absent or complete."""
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _load(sidecar: Path) -> ArchivedFile:
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    return ArchivedFile(
        sha256=meta["sha256"],
        file_name=meta["file_name"],
        received_at=datetime.fromisoformat(meta["received_at"]),
        landed_at=datetime.fromisoformat(meta.get("landed_at", meta["received_at"])),
        size_bytes=meta["size_bytes"],
        path=sidecar.with_name(meta["blob"]),
        symlink=meta.get("symlink", False),
    )


def archived_files(home: Home) -> list[ArchivedFile]:
    """Every file in the archive, in the order received."""
    files = [_load(p) for p in home.archive.glob("*/*.json")]
    return sorted(files, key=lambda f: (f.received_at, f.sha256))


def landed_files(home: Home) -> list[Path]:
    """Files waiting in landing/, oldest first (by modification time, then name)."""
    paths = [
        p
        for p in home.landing.iterdir()
        if (p.is_symlink() or p.is_file()) and not p.name.startswith(IGNORED_PREFIXES) and not p.name.endswith(".part")
    ]
    return sorted(paths, key=lambda p: (p.lstat().st_mtime, p.name))


def archive_landing(home: Home) -> ArchiveReport:
    """Move every landed file into the archive (once per distinct content) and empty landing/."""
    report = ArchiveReport(archived=[], duplicates=[])
    last = datetime.now(UTC) - timedelta(seconds=1)
    for path in landed_files(home):
        symlink = path.is_symlink()
        # A link is never followed (it could point anywhere): what is archived is the link itself.
        data = os.readlink(path).encode() if symlink else path.read_bytes()
        landed = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
        sha = hashlib.sha256(data).hexdigest()
        folder = home.archive / sha[:2]
        folder.mkdir(parents=True, exist_ok=True)
        sidecar = folder / f"{sha}.json"
        # Strictly increasing receipt times keep the landing order even within one pass.
        now = max(datetime.now(UTC), last + timedelta(microseconds=1))
        last = now
        if sidecar.exists():
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            meta.setdefault("received_again", []).append({"file_name": path.name, "at": now.isoformat()})
            _write_atomic(sidecar, json.dumps(meta, ensure_ascii=False, indent=1).encode())
            report.duplicates.append(path.name)
        else:
            suffix = path.suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,8}", path.suffix.lower()) else ".bin"
            blob = folder / f"{sha}{suffix}"
            _write_atomic(blob, data)
            meta = {
                "sha256": sha,
                "file_name": path.name,
                "received_at": now.isoformat(),
                "landed_at": min(landed, now).isoformat(),
                "size_bytes": len(data),
                "blob": blob.name,
                "symlink": symlink,
            }
            _write_atomic(sidecar, json.dumps(meta, ensure_ascii=False, indent=1).encode())
            report.archived.append(_load(sidecar))
        path.unlink()
    return report
