"""Regenerate docs/lineage-graph.png, the README's picture, from the demo data.

.venv/bin/python docs/make_screenshot.py
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
        with app_server(env) as (_, url):
            shoot(url, ROOT / "docs" / "lineage-graph.png")


def shoot(url, target):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1100}, device_scale_factor=2)
        page.goto(url + "/accounts/login/")
        page.fill("#id_username", "demo")
        page.fill("#id_password", "demo")
        page.click("button[type=submit]")
        page.goto(url + "/registry/model/zoo-classifier/v1/?tab=lineage")
        page.wait_for_function("window.lineageGraphReady === true")
        box = page.locator("#lineage-canvas").bounding_box()
        point = page.evaluate(
            "window.lineageGraph.nodes('[label = \"rural-feather-20\"]').renderedPosition()"
        )
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        page.locator("#lineage-panel h3").wait_for()
        page.locator("main").screenshot(path=str(target))
        browser.close()


if __name__ == "__main__":
    main()
