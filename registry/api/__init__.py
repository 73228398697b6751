"""Registry's part of the JSON API, one module per concept: runs, artifact versions with
their file contents, and links into registry collections. `config/api.py` mounts them."""
