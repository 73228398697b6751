"""Files in streams: hashing, uploading and downloading without holding them in memory."""

import base64
import hashlib
import os
import re

CHUNK = 1024 * 1024
PROGRESS_FROM = 4 * 1024 * 1024  # show a progress bar for transfers larger than this


# The server's rule is registry/names.py `normalize_path`; the client cannot import the
# server, so it repeats it here. tests/client/test_names_agree.py runs both over the same
# cases: change one and that test says so.
def artifact_path(name):
    """A file's path inside an artifact, checked by the server's rules before any byte is
    sent: relative, `/`-separated, never escaping the artifact."""
    if not isinstance(name, str) or not name or "\x00" in name or len(name) > 1024:
        raise ValueError(f"Invalid file path {name!r}: give a non-empty relative path.")
    parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts or not parts:
        raise ValueError(
            f"File path {name!r} must stay inside the artifact: "
            "use a relative path without '..', a leading '/' or a drive letter."
        )
    return "/".join(parts)


def digests(path):
    """(sha256 hex, md5 base64, size) of a file, read in chunks."""
    sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), base64.b64encode(md5.digest()).decode(), size


def progress(total, description):
    """A tqdm bar for long transfers, or None (small ones, or LINEAGE_SILENT=1)."""
    if total < PROGRESS_FROM or os.environ.get("LINEAGE_SILENT") == "1":
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=description)


class ReadWithProgress:
    """A file object that reports what has been read; its length lets `requests` send a
    Content-Length and stream the body."""

    def __init__(self, stream, size, bar):
        self.stream, self.size, self.bar = stream, size, bar

    def __len__(self):
        return self.size

    def read(self, amount=-1):
        chunk = self.stream.read(CHUNK if amount is None or amount < 0 else amount)
        if self.bar:
            self.bar.update(len(chunk))
        return chunk
