"""Regenerate the screenshots of docs/explore/ (headless Chromium, as the tests drive it).

    npconv demo --save lenet.npz
    python docs/explore/screenshots.py lenet.npz     # writes docs/explore/layer.png and docs/explore/model.png
"""
import sys
import time
import urllib.parse
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from npconv.explore.model_view import ModelView  # noqa: E402
from npconv.explore.server import ExplorerApp, server_url, start_in_thread  # noqa: E402

PAGES = {
    "layer.png": "#mode=layer&layer=" + urllib.parse.quote("Conv2d(1, 1, kernel_size=3, stride=2, padding=1)")
                 + "&input=1,1,6,6&at=1,2",
    "model.png": "#mode=model&model=lenet&image=digit:7&row=conv2&at=3,4",
}


def main(weights):
    server = start_in_thread(ExplorerApp(ModelView("lenet", weights=weights)))
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1250",
                     "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        for name, state in PAGES.items():
            driver.get(server_url(server) + state)
            WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.body.dataset.ready"))
            time.sleep(1.5)
            driver.save_screenshot(str(HERE / name))
            print(f"wrote {HERE / name}")
    finally:
        driver.quit()
        server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
