"""A zip archive read as torch's checkpoint reader reads it: miniz (built without CRC checks), not ``zipfile``.

The two disagree on damaged archives. zipfile finds the central directory from the end record's position
and compares each local header's name with the directory's; miniz trusts the directory's offset, ignores
local names, refuses multi-disk and masked archives, finds names case-insensitively, and rejects a
record whose sizes or offset do not fit the file when it opens the archive. Reading as miniz does makes
npconv load what torch loads and refuse, with miniz's reason, what torch refuses.

Only the central directory (bounded by the file) is held in memory; a record is read when asked for.
"""
import struct
import zlib

__all__ = ["Archive", "ZipFault"]

CORRUPT = "invalid header or archive is corrupted"
MULTIDISK = "unsupported multidisk archive"
U32 = 0xFFFFFFFF
_END, _END_SIZE = b"PK\x05\x06", 22
_LOCATOR, _LOCATOR_SIZE = b"PK\x06\x07", 20
_END64, _END64_SIZE = b"PK\x06\x06", 56
_ENTRY, _ENTRY_SIZE = b"PK\x01\x02", 46
_LOCAL, _LOCAL_SIZE = b"PK\x03\x04", 30
_SEARCH = 0xFFFF + _END_SIZE      # miniz looks for the end record this far back from the end (~64 KiB)


class ZipFault(Exception):
    """A failure as miniz reports it: ``reason`` is its error text ("invalid header or archive is corrupted")."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class Record:
    """One central directory entry: the fields miniz reads."""

    def __init__(self, entry, name, extra):
        (self.flags, self.method, self.method_and_time, self.comp_size, self.size, self.disk,
         self.external_attr, self.local_offset) = _unpack_entry(entry)
        self.name, self.extra = name, extra

    def is_directory(self):
        return self.name.endswith(b"/") or bool(self.external_attr & 0x10)


def _unpack_entry(entry):
    flags, method = struct.unpack_from("<HH", entry, 8)
    method_and_time, = struct.unpack_from("<I", entry, 10)
    comp_size, size = struct.unpack_from("<II", entry, 20)
    disk, = struct.unpack_from("<H", entry, 34)
    external_attr, local_offset = struct.unpack_from("<II", entry, 38)
    return flags, method, method_and_time, comp_size, size, disk, external_attr, local_offset


class Archive:
    """The records of a zip archive in a seekable binary file, as miniz's reader opens them."""

    def __init__(self, file):
        self.file = file
        self.size = file.seek(0, 2)
        self.records = self._read_directory()
        self.by_name = {}
        for record in self.records:   # miniz compares names with ASCII letters folded to lower case
            self.by_name.setdefault(record.name.lower(), record)

    def _read_at(self, offset, size):
        self.file.seek(offset)
        return self.file.read(size)

    def _read_directory(self):
        end_at = self._find_end()
        end = self._read_at(end_at, _END_SIZE)
        disk, directory_disk, on_disk, total, directory_size, directory_at = struct.unpack_from("<HHHHII", end, 4)
        end64 = self._zip64_end(end_at)
        if end64 is not None:
            on_disk, total, directory_size, disk, directory_disk, directory_at = end64
        if total != on_disk or ((disk | directory_disk) != 0 and (disk != 1 or directory_disk != 1)):
            raise ZipFault(MULTIDISK)
        if directory_size < total * _ENTRY_SIZE or directory_at + directory_size > self.size:
            raise ZipFault(CORRUPT)
        directory = self._read_at(directory_at, directory_size) if total else b""
        return self._entries(directory, total, disk)

    def _find_end(self):
        if self.size < _END_SIZE:
            raise ZipFault("not a ZIP archive")
        start = max(0, self.size - _SEARCH)
        found = self._read_at(start, self.size - start).rfind(_END, 0, self.size - start - _END_SIZE + 4)
        if found < 0:
            raise ZipFault("failed finding central directory")
        return start + found

    def _zip64_end(self, end_at):
        """(entries on this disk, entries, directory size, disk, directory's disk, directory offset) from
        the zip64 end record that torch's writer always adds, or None if there is none."""
        if end_at < _LOCATOR_SIZE + _END64_SIZE:
            return None
        locator = self._read_at(end_at - _LOCATOR_SIZE, _LOCATOR_SIZE)
        if not locator.startswith(_LOCATOR):
            return None
        end64_at, disks = struct.unpack_from("<QI", locator, 8)
        if end64_at > self.size - _END64_SIZE:
            raise ZipFault("not a ZIP archive")
        end64 = self._read_at(end64_at, _END64_SIZE)
        if not end64.startswith(_END64):
            return None
        record_size, = struct.unpack_from("<Q", end64, 4)
        disk, directory_disk, on_disk, total, directory_size, directory_at = struct.unpack_from("<IIQQQQ", end64, 16)
        if record_size < _END64_SIZE - 12:
            raise ZipFault(CORRUPT)
        if disks != 1:
            raise ZipFault(MULTIDISK)
        if total > U32 or on_disk > U32:
            raise ZipFault("too many files")
        if directory_size > U32:
            raise ZipFault("unsupported central directory size")
        return on_disk, total, directory_size, disk, directory_disk, directory_at

    def _entries(self, directory, total, disk):
        records, at = [], 0
        for _ in range(total):
            if len(directory) - at < _ENTRY_SIZE or not directory.startswith(_ENTRY, at):
                raise ZipFault(CORRUPT)
            name_size, extra_size, comment_size = struct.unpack_from("<HHH", directory, at + 28)
            name_at = at + _ENTRY_SIZE
            record = Record(directory[at:name_at], directory[name_at:name_at + name_size],
                            directory[name_at + name_size:name_at + name_size + extra_size])
            self._check_entry(record, disk)
            at = name_at + name_size + extra_size + comment_size
            if at > len(directory):
                raise ZipFault(CORRUPT)
            records.append(record)
        return records

    def _check_entry(self, record, disk):
        """miniz's checks of a directory entry when it opens the archive, in its order."""
        if U32 in (record.comp_size, record.size, record.local_offset) and record.extra:
            _zip64_sizes(record)   # only the extra field's layout is checked here
        if record.comp_size != U32 and record.size != U32:   # (miniz reads the method with the time: 4 bytes)
            if (record.method_and_time == 0 and record.size != record.comp_size) or (record.size and not record.comp_size):
                raise ZipFault(CORRUPT)
        if record.disk == 0xFFFF or record.disk not in (disk, 1):
            raise ZipFault(MULTIDISK)
        if record.comp_size != U32 and record.local_offset + _LOCAL_SIZE + record.comp_size > self.size:
            raise ZipFault(CORRUPT)
        if record.flags & 0x2000:   # the local headers are masked (central directory encryption)
            raise ZipFault("unsupported encryption")

    # -- records ---------------------------------------------------------------------------------

    def find(self, name):
        """The record named ``name`` (bytes), or ZipFault("file not found")."""
        record = self.by_name.get(name.lower())
        if record is None:
            raise ZipFault("file not found")
        return record

    def stat(self, record):
        """(compressed size, size, local header offset), refusing what miniz cannot extract."""
        if record.method not in (0, 8):
            raise ZipFault("unsupported method")
        if record.flags & 0x41:
            raise ZipFault("unsupported encryption")
        if record.flags & 0x20:
            raise ZipFault("unsupported feature")
        return _zip64_sizes(record)

    def read(self, record, max_ratio):
        """The record's bytes, as miniz extracts them (no CRC check). A deflated record claiming more than
        ``max_ratio`` bytes per compressed byte is refused before anything is allocated (a bomb)."""
        comp_size, size, local_offset = self.stat(record)
        if size > max_ratio * comp_size + 64:   # torch would allocate it all first
            raise ZipFault(f"record claims {size} bytes from {comp_size} compressed bytes: not a real record")
        if record.is_directory() or comp_size == 0:
            return bytes(size)            # miniz returns the buffer as allocated
        local = self._read_at(local_offset, _LOCAL_SIZE)
        if len(local) != _LOCAL_SIZE:
            raise ZipFault("file read failed")
        if not local.startswith(_LOCAL):
            raise ZipFault(CORRUPT)
        name_size, extra_size = struct.unpack_from("<HH", local, 26)
        start = local_offset + _LOCAL_SIZE + name_size + extra_size
        if start + comp_size > self.size:
            raise ZipFault(CORRUPT)
        if record.method == 0:
            data = self._read_at(start, size)
            if len(data) != size:
                raise ZipFault("file read failed")
            return data
        return _inflate(self._read_at(start, comp_size), size)


def _zip64_sizes(record):
    """(compressed size, size, local offset), those at 0xFFFFFFFF taken from the zip64 extra field."""
    values = [record.size, record.comp_size, record.local_offset]
    extra = record.extra
    while U32 in values and extra:
        if len(extra) < 4:
            raise ZipFault(CORRUPT)
        field, size = struct.unpack_from("<HH", extra)
        if size + 4 > len(extra):
            raise ZipFault(CORRUPT)
        if field == 1:
            data = extra[4:4 + size]
            for i, value in enumerate(values):
                if value == U32:
                    if len(data) < 8:
                        raise ZipFault(CORRUPT)
                    values[i], = struct.unpack_from("<Q", data)
                    data = data[8:]
            break
        extra = extra[4 + size:]
    size, comp_size, local_offset = values
    return comp_size, size, local_offset


def _inflate(compressed, size):
    """A raw deflate stream into ``size`` bytes; as miniz, a stream that ends early is an error, one that
    is cut or corrupt leaves the rest of the buffer as allocated (zeros here)."""
    if size == 0:
        return b""
    inflater = zlib.decompressobj(-15)
    try:
        data = inflater.decompress(compressed, size)
    except zlib.error:
        return bytes(size)
    if inflater.eof and len(data) != size:
        raise ZipFault("unexpected decompressed size")
    return data + bytes(size - len(data))
