"""Regenerate the README's pictures from the demo data: docs/lineage-graph.png and
docs/collection-aliases.png (or only the ones named).

.venv/bin/python docs/make_screenshot.py [lineage-graph] [collection-aliases]
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from server import CHROMIUM_ARGS, app_server  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "LINEAGE_VAR_DIR": tmp}
        env.pop("DATABASE_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        subprocess.run([*manage, "seed_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        names = sys.argv[1:] or list(SHOTS)
        with app_server(env) as (_, url):
            for name in names:
                shoot(url, SHOTS[name], ROOT / "docs" / f"{name}.png")


def shoot(url, take, target):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1440, "height": 1100}, device_scale_factor=2)
        page.goto(url + "/accounts/login/")
        page.fill("#id_username", "demo")
        page.fill("#id_password", "demo")
        page.click("button[type=submit]")
        take(page, url, target)
        browser.close()


def lineage_graph(page, url, target):
    page.goto(url + "/registry/model/zoo-classifier/v1/?tab=lineage")
    page.wait_for_function("window.lineageGraphReady === true")
    box = page.locator("#lineage-canvas").bounding_box()
    point = page.evaluate(
        "window.lineageGraph.nodes('[label = \"rural-feather-20\"]').renderedPosition()"
    )
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.locator("#lineage-panel h3").wait_for()
    page.locator("main").screenshot(path=str(target))


def collection_aliases(page, url, target):
    """The collection page down to its alias controls, `production` protected (set by
    clicking, on the registry's settings page, as an admin would)."""
    page.goto(url + "/registry/model/settings/")
    page.fill("#id_protected_aliases", "production")
    page.click("text=Save settings")
    page.wait_for_url("**/registry/model/settings/")
    page.goto(url + "/registry/model/zoo-classifier/v2/")
    main = page.locator("main").bounding_box()
    controls = page.locator("#alias-controls").bounding_box()
    bottom = controls["y"] + controls["height"] + 8
    clip = {"x": main["x"], "y": main["y"], "width": main["width"], "height": bottom - main["y"]}
    page.screenshot(path=str(target), clip=clip, full_page=True)


SHOTS = {"lineage-graph": lineage_graph, "collection-aliases": collection_aliases}


if __name__ == "__main__":
    main()
