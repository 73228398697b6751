"""Content-addressed file storage: bytes go to the `blobs` storage under their SHA-256.

A body is streamed straight into storage while it is hashed, and the storage moves it
to its final name only once the whole body has arrived and matched the digests it
claims (see `registry.storage`): a killed server or a lying sender leaves nothing at the
final name, and a Blob row is written only after a complete copy is there. "Present"
means present and complete: a copy whose stored size is not the Blob's counts as
missing, so the next upload of the same bytes replaces it.
"""

import hashlib
import io
import re
import uuid

from django.conf import settings
from django.core.files.storage import storages

from .errors import DomainError, TooLarge
from .models import Blob
from .names import ID_RE

CHUNK = 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")
# Bytes of file contents received since the process started (what uploads cost).
received = {"bytes": 0}


class DigestMismatch(DomainError):
    pass


class DamagedBlob(DomainError):
    """The stored copy is missing or not the size it was stored with."""

    status = 503


def declared_length(request):
    """The Content-Length the sender declared (0 when none, or none we can read)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    return int(declared) if ID_RE.fullmatch(declared) else 0


def check_file_size(size):
    """One file may be at most LINEAGE_MAX_FILE_BYTES."""
    if size > settings.LINEAGE_MAX_FILE_BYTES:
        raise TooLarge(
            f"A file may be at most {settings.LINEAGE_MAX_FILE_BYTES:,} bytes, "
            f"this one is {size:,} or more (LINEAGE_MAX_FILE_BYTES)."
        )


def storage():
    return storages["blobs"]


class _Checked(io.RawIOBase):
    """Reads `stream` while hashing it; at its end, raises DigestMismatch when the bytes
    are not the ones claimed, so a storage reading it never completes the write."""

    def __init__(self, stream, sha256, md5):
        self.stream, self.claims = stream, (sha256, md5)
        self.sha, self.md, self.size = hashlib.sha256(), hashlib.md5(), 0

    def readable(self):
        return True

    def read(self, size=-1):
        chunk = self.stream.read(size if size and size > 0 else CHUNK)
        if not chunk:
            self.blob()  # raises if the bytes do not match
            return b""
        self.sha.update(chunk)
        self.md.update(chunk)
        self.size += len(chunk)
        check_file_size(self.size)  # a body that runs on past its Content-Length
        return chunk

    def drain(self):
        while self.read(CHUNK):
            pass
        return self.blob()

    def blob(self):
        """The (unsaved) Blob of the bytes read, once they match what was claimed."""
        md5_base64 = Blob.md5_base64(self.md.digest())
        blob = Blob(sha256=self.sha.hexdigest(), md5=md5_base64, size=self.size)
        sha256, md5 = self.claims
        if sha256 and sha256 != blob.sha256:
            raise DigestMismatch(f"The bytes sent have SHA-256 {blob.sha256}, not {sha256}.")
        if md5 and md5 != blob.md5:
            raise DigestMismatch(f"The bytes sent have MD5 {blob.md5}, not {md5}.")
        return blob


def store(stream, sha256=None, md5=None):
    """Store the bytes read from `stream` and return their Blob.

    `sha256` (hex) and `md5` (base64) are what the sender claims; when given, the bytes
    must match them. A complete copy already stored is not written again (the body is
    still read and checked); a damaged one is replaced.
    """
    if sha256 is not None and not SHA256.fullmatch(sha256):
        raise DigestMismatch(f"{sha256[:80]!r} is not a SHA-256 (64 lowercase hex digits).")
    checked = _Checked(stream, sha256, md5)
    try:
        return _store_unnamed(checked) if sha256 is None else _store_named(checked, sha256)
    finally:
        received["bytes"] += checked.size


def _store_named(checked, sha256):
    existing = Blob.objects.filter(pk=sha256).first()
    if _complete(existing):
        checked.drain()
        return existing
    storage().save(Blob(sha256=sha256).storage_name, checked)
    return _record(checked.blob())


def _store_unnamed(checked):
    """Bytes whose SHA-256 is not known before they are read: under a temporary name,
    then moved to their final one."""
    incoming = f"incoming/{uuid.uuid4().hex}"
    storage().save(incoming, checked)
    blob = checked.blob()
    existing = Blob.objects.filter(pk=blob.sha256).first()
    if _complete(existing):
        storage().delete(incoming)
        return existing
    storage().move(incoming, blob.storage_name)
    return _record(blob)


def _record(blob):
    return Blob.objects.get_or_create(
        sha256=blob.sha256, defaults={"md5": blob.md5, "size": blob.size}
    )[0]


def store_many(uploads):
    """Store each `(file, sha256, md5)` (files already received, so seekable): every body
    is checked before any is kept, so a request with one bad file leaves nothing behind."""
    for upload in uploads:
        _Checked(*upload).drain()
        upload[0].seek(0)
    return [store(*upload) for upload in uploads]


def store_bytes(data):
    return store(io.BytesIO(data), sha256=hashlib.sha256(data).hexdigest())


def missing(digests, user):
    """The SHA-256s among `digests` that `user` must send: no complete stored copy
    (absent, or another size than the Blob's), or one they have not shown they hold
    (Blob.objects.usable_by), in their order, once each."""
    known = list(Blob.objects.usable_by(user).filter(sha256__in=digests))
    sizes = storage().sizes([blob.storage_name for blob in known])
    complete = {blob.sha256 for blob in known if sizes[blob.storage_name] == blob.size}
    return [digest for digest in dict.fromkeys(digests) if digest not in complete]


def _complete(blob):
    name = blob and blob.storage_name
    return blob is not None and storage().sizes([name])[name] == blob.size


def open_blob(blob):
    """A reader of the blob's bytes; DamagedBlob rather than a short or absent file."""
    damaged = DamagedBlob(
        f"The stored copy of the contents {blob.sha256} is damaged or missing; "
        "uploading the same file again repairs it."
    )
    try:
        reader, size = storage().stream(blob.storage_name)
    except FileNotFoundError:
        raise damaged from None
    if size != blob.size:
        reader.close()
        raise damaged
    return reader
