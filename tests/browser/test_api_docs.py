"""/api/v1/docs draws the API's operations with every request to another host refused."""


def test_the_api_docs_work_without_the_internet(browser, live_server, transactional_db):
    page = browser.new_page()
    elsewhere, errors = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def only_here(route):
        if route.request.url.startswith(live_server.url):
            return route.continue_()
        elsewhere.append(route.request.url)
        return route.abort()

    page.route("**/*", only_here)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/lineage").count() >= 1
    assert elsewhere == [] and errors == []
    page.close()
