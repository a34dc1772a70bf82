"""Fixtures of the explorer's tests: a server on a free port in a background thread, and Debian's
headless Chromium driven by selenium through the system chromedriver (``.ci/run`` installs both; a
missing browser is an error, not a skip)."""
import json
import shutil

import pytest

from npconv.explore.server import ExplorerApp, server_url, start_in_thread

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
PAGE_TIMEOUT = 30


@pytest.fixture(scope="module")
def explorer():
    """The URL of a running explorer (layer mode and the built-in models)."""
    server = start_in_thread(ExplorerApp())
    yield server_url(server)
    server.shutdown()
    server.server_close()


def _binary(names):
    found = next((shutil.which(name) for name in names if shutil.which(name)), None)
    assert found, f"none of {names} is installed: apt-get install -y chromium chromium-driver"
    return found


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium that records its console and every network request."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = _binary(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(_binary(("chromedriver",))), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.set_script_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()


def requested_urls(driver):
    """Every URL the page asked for since the last call (from Chromium's network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver):
    """Console messages of level SEVERE since the last call (JS errors, failed loads)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
