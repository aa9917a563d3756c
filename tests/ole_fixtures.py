"""Minimal OLE2 compound files (.doc/.xls/.ppt) for the upload tests: olefile reads them but cannot write.

Version 3 files, 512-byte sectors, one FAT sector, no mini stream (every stream is padded to the
4096-byte cutoff). Enough for a directory of a few storages and streams.
"""
from __future__ import annotations

import struct

SECTOR = 512
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _entry(name: str, kind: int, *, child=NOSTREAM, right=NOSTREAM, start=ENDOFCHAIN, size=0) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
        + struct.pack("<IQ", start, size)
    )


def compound_file(tree: dict) -> bytes:
    """tree maps names to bytes (a stream) or to a dict (a storage): {"WordDocument": b"...", "Macros": {"VBA": {...}}}."""
    entries: list[dict] = [{"name": "Root Entry", "kind": 5, "children": []}]
    streams: list[tuple[int, bytes]] = []

    def add(parent: int, subtree: dict) -> None:
        for name, value in subtree.items():
            index = len(entries)
            entries[parent]["children"].append(index)
            if isinstance(value, dict):
                entries.append({"name": name, "kind": 1, "children": []})
                add(index, value)
            else:
                data = value.ljust(4096, b"\0")
                entries.append({"name": name, "kind": 2, "children": [], "data": data})
                streams.append((index, data))

    add(0, tree)
    dir_sectors = -(-len(entries) * 128 // SECTOR)
    fat = [FATSECT]
    fat += [len(fat) + i + 1 if i < dir_sectors - 1 else ENDOFCHAIN for i in range(dir_sectors)]
    starts: dict[int, int] = {}
    body = b""
    for index, data in streams:
        starts[index] = len(fat)
        count = len(data) // SECTOR
        fat += [len(fat) + i + 1 if i < count - 1 else ENDOFCHAIN for i in range(count)]
        body += data
    assert len(fat) <= SECTOR // 4, "fixture too large for one FAT sector"
    fat += [FREESECT] * (SECTOR // 4 - len(fat))

    directory = b""
    for index, entry in enumerate(entries):
        children = entry["children"]
        child = children[0] if children else NOSTREAM
        right = NOSTREAM
        for parent in entries:  # siblings form a chain through the right pointers
            if index in parent["children"]:
                position = parent["children"].index(index)
                right = parent["children"][position + 1] if position + 1 < len(parent["children"]) else NOSTREAM
        data = entry.get("data", b"")
        directory += _entry(entry["name"], entry["kind"], child=child, right=right,
                            start=starts.get(index, ENDOFCHAIN), size=len(data))
    directory = directory.ljust(dir_sectors * SECTOR, b"\0")

    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    )
    header += struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108
    assert len(header) == SECTOR
    return header + struct.pack(f"<{SECTOR // 4}I", *fat) + directory + body


def word_doc(*, macros: bool = False) -> bytes:
    tree: dict = {"WordDocument": b"\xec\xa5" + b"\0" * 32, "1Table": b"\0" * 32}
    if macros:
        tree["Macros"] = {"VBA": {"dir": b"\x01" * 16, "ThisDocument": b"Attribute VB_Name"}, "PROJECT": b"ID=\"{}\""}
    return compound_file(tree)


def excel_xls(*, macros: bool = False) -> bytes:
    tree: dict = {"Workbook": b"\x09\x08" + b"\0" * 32}
    if macros:
        tree["_VBA_PROJECT_CUR"] = {"VBA": {"dir": b"\x01" * 16}, "PROJECT": b"ID=\"{}\""}
    return compound_file(tree)


def powerpoint_ppt(*, macros: bool = False) -> bytes:
    document = b"\x0f\x00\xe8\x03" + b"\0" * 32  # a DocumentContainer record header
    if macros:  # VBAInfoContainer holding a VBAInfoAtom, as PowerPoint stores its VBA project
        document += b"\x0f\x00\xff\x03\x14\x00\x00\x00" + b"\x02\x00\x00\x04\x0c\x00\x00\x00" + b"\0" * 12
    return compound_file({"PowerPoint Document": document, "Current User": b"\0" * 32})
