"""Content-addressed file storage: bytes go to the `blobs` storage under their SHA-256.

Streams are hashed chunk by chunk into a temporary file, so a file far larger than
memory is stored without being held in it, and a body that does not match the digest
it claims is refused before anything is kept.
"""

import contextlib
import hashlib
import io
import tempfile

from django.core.files import File
from django.core.files.storage import storages

from .errors import DomainError
from .models import Blob

CHUNK = 1024 * 1024
# Bytes of file contents received since the process started (what uploads cost).
received = {"bytes": 0}


class DigestMismatch(DomainError):
    pass


def storage():
    return storages["blobs"]


def store(stream, sha256=None, md5=None):
    """Store the bytes read from `stream` and return their Blob.

    `sha256` (hex) and `md5` (base64) are what the sender claims; when given, the bytes
    must match them. Bytes already stored are not written again.
    """
    return store_many([(stream, sha256, md5)])[0]


def store_many(uploads):
    """Store each `(stream, sha256, md5)`; every body is checked before any is kept, so
    a request with one bad file leaves nothing behind."""
    with contextlib.ExitStack() as spools:
        checked = [
            _spool(spools.enter_context(tempfile.TemporaryFile()), *upload) for upload in uploads
        ]
        return [_keep(blob, spool) for blob, spool in checked]


def _spool(spool, stream, sha256, md5):
    """Copy `stream` into `spool`, hashing it; its Blob, unsaved, if the digests match."""
    sha, md = hashlib.sha256(), hashlib.md5()
    size = 0
    while chunk := stream.read(CHUNK):
        sha.update(chunk)
        md.update(chunk)
        spool.write(chunk)
        size += len(chunk)
        received["bytes"] += len(chunk)
    blob = Blob(sha256=sha.hexdigest(), md5=Blob.md5_base64(md.digest()), size=size)
    if sha256 and sha256 != blob.sha256:
        raise DigestMismatch(f"The bytes sent have SHA-256 {blob.sha256}, not {sha256}.")
    if md5 and md5 != blob.md5:
        raise DigestMismatch(f"The bytes sent have MD5 {blob.md5}, not {md5}.")
    return blob, spool


def _keep(blob, spool):
    existing = Blob.objects.filter(pk=blob.sha256).first()
    if existing and storage().exists(existing.storage_name):
        return existing
    spool.seek(0)
    _save(blob.storage_name, spool)
    Blob.objects.get_or_create(sha256=blob.sha256, defaults={"md5": blob.md5, "size": blob.size})
    return blob


def store_bytes(data):
    return store(io.BytesIO(data))


def _save(name, spool):
    target = storage()
    if target.exists(name):
        return
    saved = target.save(name, File(spool, name=name))
    if saved != name:  # another writer won the race with identical bytes; keep theirs
        target.delete(saved)


def open_blob(blob):
    """A readable file object of the blob's bytes."""
    return storage().open(blob.storage_name, "rb")
