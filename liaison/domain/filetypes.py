"""What an uploaded file is, read from its bytes: the allowed kinds, and Office files that carry macros.

Pure functions of the content; no Flask, no database. A file passes when its content agrees with
its extension and holds no macro project, embedded OLE object or ActiveX control.
"""
from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Callable

import olefile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Storages and streams that hold a VBA project in OLE2 Office files: Word (Macros/VBA), Excel
# (_VBA_PROJECT_CUR), and the generic names a VBA project uses wherever it is stored.
OLE_MACRO_ENTRIES = ("macros", "_vba_project_cur", "_vba_project", "vba")
# PowerPoint 97-2003 keeps its VBA project as a record inside the "PowerPoint Document" stream:
# a VBAInfoContainer (recVer 0xF, recType 0x03FF) holding a VBAInfoAtom (recType 0x0400).
PPT_VBA_INFO = b"\x0f\x00\xff\x03"
PPT_VBA_ATOM = b"\x02\x00\x00\x04"


def _is_pdf(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf\r\n\t ")[:5] == b"%PDF-"


def _ole_entries(data: bytes) -> list[list[str]] | None:
    """The storage and stream paths of an OLE2 compound file, or None when it is not one."""
    if not data.startswith(OLE_MAGIC):
        return None
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return ole.listdir(streams=True, storages=True)
    except (OSError, ValueError, IndexError, TypeError, KeyError):
        return None


def _ole_with(*streams: str) -> Callable[[bytes], bool]:
    """An OLE2 compound file (.doc/.xls/.ppt) holding the stream that makes it that kind."""
    wanted = {stream.lower() for stream in streams}

    def matches(data: bytes) -> bool:
        entries = _ole_entries(data)
        return entries is not None and any(len(path) == 1 and path[0].lower() in wanted for path in entries)

    return matches


def _ooxml_with(main_part: str) -> Callable[[bytes], bool]:
    """An Office Open XML package (.docx/.xlsx/.pptx): a zip with [Content_Types].xml and its main part."""

    def matches(data: bytes) -> bool:
        names = _zip_names(data)
        return names is not None and "[Content_Types].xml" in names and main_part in names

    return matches


def _zip_names(data: bytes) -> list[str] | None:
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None


def _is_csv(data: bytes) -> bool:
    """Plain text in UTF-8 (with or without BOM) or Shift_JIS (cp932), as Excel writes it in Japan."""
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in text)
    return False


def _ole_has_macros(data: bytes) -> bool:
    entries = _ole_entries(data)
    if entries is None:
        return False
    if any(part.lower() in OLE_MACRO_ENTRIES for path in entries for part in path):
        return True
    if not any(path == ["PowerPoint Document"] for path in entries):
        return False
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            stream = ole.openstream("PowerPoint Document").read()
    except (OSError, ValueError, IndexError, TypeError, KeyError):
        return False
    return PPT_VBA_INFO in stream and PPT_VBA_ATOM in stream


def _ooxml_has_macros(data: bytes) -> bool:
    names = _zip_names(data)
    if names is None:
        return False
    for name in names:
        lowered = name.lower()
        last = lowered.rsplit("/", 1)[-1]
        if last.endswith("vbaproject.bin") or last == "vbadata.xml":
            return True
        if "/embeddings/" in f"/{lowered}" and last.startswith("oleobject") and last.endswith(".bin"):
            return True
        if "/activex/" in f"/{lowered}":
            return True
    return False


def carries_macros(data: bytes) -> bool:
    """An Office file with a VBA project, an embedded OLE object or an ActiveX control (by content)."""
    return _ole_has_macros(data) or _ooxml_has_macros(data)


@dataclass(frozen=True)
class FileKind:
    content_type: str
    matches: Callable[[bytes], bool]
    office: bool = False


KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", _is_pdf),
    "doc": FileKind("application/msword", _ole_with("WordDocument"), office=True),
    "xls": FileKind("application/vnd.ms-excel", _ole_with("Workbook", "Book"), office=True),
    "ppt": FileKind("application/vnd.ms-powerpoint", _ole_with("PowerPoint Document"), office=True),
    "docx": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ooxml_with("word/document.xml"),
        office=True,
    ),
    "xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ooxml_with("xl/workbook.xml"),
                     office=True),
    "pptx": FileKind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ooxml_with("ppt/presentation.xml"), office=True,
    ),
    "csv": FileKind("text/csv", _is_csv),
    "png": FileKind("image/png", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": FileKind("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    "jpeg": FileKind("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    "gif": FileKind("image/gif", lambda data: data[:6] in (b"GIF87a", b"GIF89a")),
}
ACCEPT = ",".join(f".{ext}" for ext in KINDS)
