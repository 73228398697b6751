"""lineage_client: log runs and artifacts to a Lineage Registry server.

Names and signatures mirror the reference SDK, so its snippets run with one change:

    import lineage_client as wandb

The server and key come from LINEAGE_BASE_URL (default http://127.0.0.1:8000) and
LINEAGE_API_KEY, or from `login(key=..., host=...)`. LINEAGE_SILENT=1 turns off progress
bars. This package never imports Django.
"""

from ._http import LineageError, login
from .api import Api
from .artifact import Artifact
from .run import Run, finish, init

__all__ = ["Api", "Artifact", "LineageError", "Run", "finish", "init", "login", "run"]

run = None  # the active run, as `wandb.run`
