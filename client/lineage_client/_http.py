"""The one place that talks HTTP: credentials, JSON calls, and errors a person can read."""

import os

import requests

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
_settings = {}


class LineageError(Exception):
    """The server refused a request (its message says why) or could not be reached."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        self.status = status


def login(key=None, host=None, relogin=None):
    """Use `key` and `host` for the calls that follow (else LINEAGE_API_KEY and
    LINEAGE_BASE_URL). Returns True once the server accepts the key."""
    if key:
        _settings["key"] = key
    if host:
        _settings["host"] = host
    session().get_json("/api/v1/viewer")
    return True


def session():
    return Session(
        _settings.get("host") or os.environ.get("LINEAGE_BASE_URL") or DEFAULT_BASE_URL,
        _settings.get("key") or os.environ.get("LINEAGE_API_KEY"),
    )


class Session:
    def __init__(self, base_url, key):
        if not key:
            raise LineageError(
                "No API key: set LINEAGE_API_KEY or call login(key=...); "
                "create one on the server's /settings/ page."
            )
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {key}"
        self._limits = None

    def copy(self):
        """The same server and key on connections of its own (for another thread: a
        requests.Session is not safe to share between threads)."""
        return Session(self.base_url, self.key)

    def request(self, method, path, **kwargs):
        url = self.base_url + path
        try:
            response = self.http.request(method, url, timeout=(10, 600), **kwargs)
        except requests.ConnectionError as error:
            raise LineageError(f"Cannot reach the server at {self.base_url}: {error}") from None
        except requests.RequestException as error:
            raise LineageError(f"The request to {url} failed: {error}") from None
        if response.status_code >= 400:
            raise LineageError(_message(response), response.status_code)
        return response

    def limits(self):
        """What one request may hold (the server's GET /api/v1/limits), asked once; {}
        from a server too old to say, which then refuses what it refuses."""
        if self._limits is None:
            try:
                self._limits = self.get_json("/api/v1/limits")
            except LineageError as error:
                if error.status != 404:
                    raise
                self._limits = {}
        return self._limits

    def get_json(self, path, **params):
        return _json(self.request("GET", path, params=params))

    def post_json(self, path, body, method="POST"):
        return _json(self.request(method, path, json=body))

    def download(self, path, target, chunk_size, bar=None):
        """Stream the body of GET `path` into the file `target`."""
        response = self.request("GET", path, stream=True)
        try:
            with open(target, "wb") as out:
                for chunk in response.iter_content(chunk_size):
                    out.write(chunk)
                    if bar:
                        bar.update(len(chunk))
        except requests.RequestException as error:
            raise LineageError(f"The download of {response.url} broke off: {error}") from None
        finally:
            response.close()


def _json(response):
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("Content-Type") or "no content type"
        raise LineageError(
            f"The server at {response.url} answered {response.status_code} with {kind}, "
            "not JSON: is LINEAGE_BASE_URL the Lineage Registry server?",
            response.status_code,
        ) from None


def _message(response):
    try:
        body = response.json()
    except ValueError:
        return f"The server answered {response.status_code} {response.reason}."
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(body, dict) and body.get("errors"):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg')}" for e in body["errors"]
        )
        detail = f"{detail} {fields}"
    return str(detail)
