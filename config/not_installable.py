"""The build backend of the checkout's pyproject.toml: `pip install <checkout>` lands here.

The server is not a pip package (it runs from its checkout), so say what to do instead
of failing with setuptools' puzzling "multiple top-level packages" error.
"""

MESSAGE = (
    "Lineage Registry's server is not a pip package: run it from its checkout "
    "(make run, or make serve for a team). To install the Python client on a training "
    "machine: pip install <checkout>/client"
)


def _refuse(*args, **kwargs):
    raise SystemExit(MESSAGE)


get_requires_for_build_wheel = get_requires_for_build_editable = _refuse
build_wheel = build_editable = build_sdist = _refuse
