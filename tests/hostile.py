"""Hostile return files, built on the fly: what an attacker or a broken tool could drop in landing/.

`hostile_files(folder)` writes them and returns {file name: the rule that must refuse it}.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from orchestration.reference import Reference
from orchestration.returns import layout
from orchestration.returns.writer import write_return
from tests.conftest import good_rows

UNIT, NAME, PERIOD = "360124", "进贤县", "2024Q4"
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    b'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
)
LANDED = datetime(2025, 1, 10, 10, tzinfo=UTC).timestamp()  # before 2024Q4's deadline
LONG_STEM = f"{UNIT}_{PERIOD}_" + "进" * 78  # 248 bytes with ".xlsx": a legal name, too long with a prefix


def good_workbook(reference: Reference, path: Path) -> bytes:
    """A valid unit return as .xlsx bytes (written through the project's writer)."""
    write_return(path, layout.RETURN_TYPE_UNIT, UNIT, NAME, PERIOD, good_rows(reference, UNIT))
    data = path.read_bytes()
    path.unlink()
    return data


def rezip(workbook: bytes, change) -> bytes:
    """The workbook with each member's bytes passed through change(name, data) (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info.filename, data)
    return out.getvalue()


def with_shared_strings(workbook: bytes, xml: bytes) -> bytes:
    """The workbook with xl/sharedStrings.xml set to `xml` and registered (rels, content types),
    as Excel writes it, so a reader parses it."""
    rel = (
        b'<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", rel)
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", override)
        return data

    out = io.BytesIO(rezip(workbook, change))
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", xml)
    return out.getvalue()


def _sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/sheet")


def hostile_files(folder: Path, reference: Reference) -> dict[str, str]:
    """Write the hostile files (and one good return) into `folder`; name -> expected first rule."""
    folder.mkdir(parents=True, exist_ok=True)
    good = good_workbook(reference, folder / "tmp.xlsx")
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>'
    files: dict[str, tuple[bytes, str]] = {
        f"{UNIT}_{PERIOD}_good.xlsx": (good, ""),
        f"{UNIT}_{PERIOD}_truncated_sheet.xlsx": (
            rezip(good, lambda n, d: d[: len(d) // 2] if _sheet(n) else d),
            "unreadable",
        ),
        f"{UNIT}_{PERIOD}_laughs_shared_strings.xlsx": (with_shared_strings(good, LAUGHS), "xml_entities"),
        f"{UNIT}_{PERIOD}_entity_in_sheet.xlsx": (
            rezip(good, lambda n, d: doctype + d.split(b"?>", 1)[-1] if _sheet(n) else d),
            "xml_entities",
        ),
        f"{UNIT}_{PERIOD}_utf16_entity.xlsx": (
            rezip(good, lambda n, d: (doctype + d.split(b"?>", 1)[-1]).decode().encode("utf-16") if _sheet(n) else d),
            "xml_entities",
        ),
        f"{UNIT}_{PERIOD}_bomb.xlsx": (rezip(good, lambda n, d: d + b" " * 20_000_000 if _sheet(n) else d), "zip_bomb"),
        f"{UNIT}_{PERIOD}_macro.xlsm": (good + b"\0", "macro_workbook"),
        f"{UNIT}_{PERIOD}_not_a_zip.xlsx": (b"PK\x03\x04 this is not a workbook" * 10, "unreadable"),
        f"{UNIT}_{PERIOD}_empty.csv": (b"", "empty_file"),
        f"{UNIT}_{PERIOD}_binary.csv": (bytes(range(256)) * 4, "unreadable"),
        f"{UNIT}_{PERIOD}\nnewline.csv": (b"x", "unsafe_file_name"),
        LONG_STEM + ".xlsx": (rezip(good, lambda n, d: d), ""),  # re-zipped: same values, new sha256
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
        os.utime(folder / name, (LANDED, LANDED))
    os.symlink("/etc/passwd", folder / f"{UNIT}_{PERIOD}_link.csv")
    expected = {name: rule for name, (_, rule) in files.items()}
    expected[f"{UNIT}_{PERIOD}_link.csv"] = "leaves_landing"
    return expected
