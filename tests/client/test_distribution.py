"""The client as its own distribution: the wheel installs into a fresh virtualenv outside
the checkout and runs the README's snippet there; the suite imports the installed copy."""

import filecmp
import hashlib
import os
import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import lineage_client

from registry.models import ArtifactVersion, Collection

CHECKOUT = Path(__file__).resolve().parents[2]


def readme_snippet():
    """The Python block of the README's section on logging from a script."""
    readme = (CHECKOUT / "README.md").read_text()
    section = readme.split("## Log lineage from a script", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def build_wheel(out):
    """What `make dist` does, into `out`."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", out, CHECKOUT / "client"],
        check=True,
    )
    (wheel,) = Path(out).glob("lineage_client-*.whl")
    return wheel


def test_it_uses_the_installed_client_not_the_source_tree():
    installed = Path(lineage_client.__file__).parent
    assert installed.parent == Path(sysconfig.get_paths()["purelib"])
    assert not (CHECKOUT / "lineage_client").exists()
    sources = sorted(p.name for p in (CHECKOUT / "client" / "lineage_client").glob("*.py"))
    assert sorted(p.name for p in installed.glob("*.py")) == sources
    _, stale, _ = filecmp.cmpfiles(CHECKOUT / "client" / "lineage_client", installed, sources)
    assert not stale, f"the installed client is older than client/ ({stale}): run `make client`"


def test_it_installs_its_wheel_in_a_fresh_virtualenv_and_runs_the_readme(server, tmp_path):
    wheel = build_wheel(tmp_path / "dist")
    env_dir = tmp_path / "training-machine"
    venv.create(env_dir)  # no pip inside: the server's pip installs into it, saving ~20 s
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check"]
    subprocess.run([*pip, "--quiet", "install", wheel], check=True)

    script = Path.cwd() / "train.py"  # the server fixture's scratch folder, with model.pt
    script.write_text(readme_snippet() + "print(wandb.__file__)\n")
    keep = ("PATH", "HOME", "LINEAGE_BASE_URL", "LINEAGE_API_KEY", "LINEAGE_SILENT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    result = subprocess.run(
        [python, script], env=env, cwd=script.parent, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    printed, module = result.stdout.strip().splitlines()
    assert printed.startswith("misty-river-6 [") and "rural-feather-20" in printed
    assert module.startswith(str(env_dir))
    assert not module.startswith(str(CHECKOUT))

    weights = hashlib.sha256((script.parent / "model.pt").read_bytes()).hexdigest()
    model = ArtifactVersion.objects.get(sequence__name="zoo-model", entries__blob=weights)
    assert model.aliases() == ["best", "latest"]
    collection = Collection.objects.get(registry__name="model", name="zoo-classifier")
    aliases = collection.membership_of(model).aliases.values_list("name", flat=True)
    assert "staging" in aliases
    django = subprocess.run([python, "-c", "import django"], capture_output=True)
    assert django.returncode != 0  # the client brought no Django with it
