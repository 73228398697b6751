"""The client repeats the server's file-path and name rules (it cannot import the
server): both must take and refuse the same paths and names, and normalise alike."""

import pytest
from lineage_client._files import artifact_path
from lineage_client._names import check_name

from registry.errors import InvalidName
from registry.names import normalize_path, validate_name

CASES = [
    "model.pt",
    "a/b/c.txt",
    "./a//b/./c",
    "a\\b\\c",
    "dir/",
    "a..b/c..",
    "...",
    "ünïcode/名前.txt",
    "x" * 1024,
    "x" * 1025,
    "",
    ".",
    "./",
    "/etc/passwd",
    "\\server\\share",
    "C:/Windows",
    "c:relative",
    "a/../../b",
    "..",
    "a/..",
    "nul\x00byte",
    None,
    3,
]


def server(path):
    try:
        return normalize_path(path)
    except InvalidName:
        return "refused"


def client(path):
    try:
        return artifact_path(path)
    except ValueError:
        return "refused"


@pytest.mark.parametrize("path", CASES, ids=repr)
def test_it_normalises_and_refuses_paths_as_the_server_does(path):
    assert client(path) == server(path)


def test_it_covers_both_answers():
    answers = [server(path) for path in CASES]
    assert "refused" in answers and len(set(answers)) > 2


NAME_CASES = ["zoo-model", "a.b_c-1", "x" * 128, "x" * 129, "", ".", "..", "..."]
NAME_CASES += ["bad name", "a/b", "a:b", "zoo\n", "ünï", None, 3]


def server_name(name):
    try:
        return validate_name(name)
    except InvalidName:
        return "refused"


def client_name(name):
    try:
        return check_name(name)
    except ValueError:
        return "refused"


@pytest.mark.parametrize("name", NAME_CASES, ids=repr)
def test_it_takes_and_refuses_names_as_the_server_does(name):
    assert client_name(name) == server_name(name)
