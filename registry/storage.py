"""Where file contents are kept: a local folder or an S3-compatible bucket.

Both backends only ever show bytes at their final name complete: a write goes to a
name nobody reads and is moved into place once it has ended without error (the stream
`registry.blobs` hands in raises at its end when the bytes do not match their digest).
Besides Django's storage API, each offers what a blob store needs and the API lacks:
`stream(name)` (a reader and the size actually stored), `sizes(names)`, and `move`.
"""

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

MIB = 1024 * 1024


class LocalBlobStorage(FileSystemStorage):
    """A folder. Writes go to a hidden `.part` file beside the final name, are fsynced,
    then renamed over it: a killed write leaves only the `.part` file, and a rewrite of a
    damaged copy replaces it in one step."""

    def __init__(self, **options):
        super().__init__(allow_overwrite=True, **options)

    def _save(self, name, content):
        final = self.path(name)
        folder = os.path.dirname(final)
        os.makedirs(folder, exist_ok=True)
        descriptor, part = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(part, self.file_permissions_mode or 0o644)
            os.replace(part, final)
        except BaseException:
            os.unlink(part)
            raise
        _fsync_folder(folder)
        return name

    def move(self, source, target):
        final = self.path(target)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.replace(self.path(source), final)
        _fsync_folder(os.path.dirname(final))

    def stream(self, name):
        """An open reader of `name` and the size of what it will read."""
        reader = open(self.path(name), "rb")
        return reader, os.fstat(reader.fileno()).st_size

    def sizes(self, names):
        """{name: stored size, or None when absent}."""
        return {name: _size_or_none(self.path(name)) for name in names}


def _size_or_none(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None


def _fsync_folder(folder):
    """Make the rename itself durable, not only the file's bytes."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class S3BlobStorage(S3Storage):
    """A bucket, through django-storages. A write is a (multipart) upload that S3 makes
    visible only when it completes, and that boto3 aborts when the stream raises; reads
    stream the object's body, so no file content passes through the app's disk."""

    HEAD_AT_ONCE = 16

    def __init__(self, **settings):
        # Parts of 8 MiB, at most 4 in memory at once: an upload costs ~40 MiB whatever
        # the file's size (boto3's default keeps up to ten parts in memory).
        if "transfer_config" not in settings:
            config = TransferConfig(multipart_chunksize=8 * MIB, max_concurrency=4)
            config.max_in_memory_upload_chunks = 4  # s3transfer's, not in boto3's __init__
            settings["transfer_config"] = config
        super().__init__(**settings)

    @property
    def client(self):
        return self.connection.meta.client

    def move(self, source, target):
        source = {"Bucket": self.bucket_name, "Key": self._normalize_name(source)}
        self.client.copy(source, self.bucket_name, self._normalize_name(target))
        self.delete(source["Key"])

    def stream(self, name):
        try:
            answer = self.client.get_object(Bucket=self.bucket_name, Key=self._normalize_name(name))
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise FileNotFoundError(name) from error
            raise
        return answer["Body"], answer["ContentLength"]

    def sizes(self, names):
        client = self.client  # boto3 clients, unlike resources, are safe across threads

        def head(name):
            try:
                key = self._normalize_name(name)
                return client.head_object(Bucket=self.bucket_name, Key=key)["ContentLength"]
            except ClientError as error:
                if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                    return None
                raise

        names = list(names)
        if len(names) < 2:
            return {name: head(name) for name in names}
        with ThreadPoolExecutor(max_workers=self.HEAD_AT_ONCE) as pool:
            return dict(zip(names, pool.map(head, names), strict=True))
