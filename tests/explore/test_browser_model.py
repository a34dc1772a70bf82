"""Model mode in a real browser (headless Chromium): LeNet's layer table with activation maps for a bundled
digit, a click on a layer shows its explain view with the model's weights, the image can be changed."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.explore.conftest import console_errors, requested_urls
from tests.explore.test_browser_layer import WAIT, open_page


def rows(browser):
    return browser.find_elements(By.CSS_SELECTOR, "#model-table tbody tr")


def model_view_text(browser, part):
    return browser.find_element(By.CSS_SELECTOR, f'#model-view [data-part="{part}"]').text


def test_model_mode_shows_the_table_beside_activations(browser, explorer):
    open_page(browser, explorer + "#mode=model&model=lenet&image=digit:3")
    WebDriverWait(browser, WAIT).until(lambda d: len(rows(d)) == 10, "no layer table")
    names = [row.get_attribute("data-row") for row in rows(browser)]
    assert names[:4] == ["", "conv1", "F.relu:1", "F.max_pool2d:1"]
    conv1 = rows(browser)[1]
    assert "[1, 20, 24, 24]" in conv1.text and "520" in conv1.text
    maps = conv1.find_elements(By.CSS_SELECTOR, "canvas.map")
    assert len(maps) == 8 and maps[0].get_attribute("width") == "24"
    assert rows(browser)[-1].find_elements(By.CSS_SELECTOR, "canvas.bars")   # fc2's ten logits
    assert "predicted class" in browser.find_element(By.ID, "model-prediction").text
    assert "bundled digit #3" in browser.find_element(By.ID, "model-about").text
    # the first explainable layer is explained right away, with the model's weights
    WebDriverWait(browser, WAIT).until(lambda d: "the module's weights" in model_view_text(d, "trace"))
    assert console_errors(browser) == []
    assert all(url.startswith(explorer) or url.startswith("data:") for url in requested_urls(browser))


def test_clicking_a_layer_explains_it_and_the_digit_can_change(browser, explorer):
    open_page(browser, explorer + "#mode=model&model=lenet&image=digit:0")
    WebDriverWait(browser, WAIT).until(lambda d: len(rows(d)) == 10, "no layer table")
    browser.find_element(By.CSS_SELECTOR, '#model-table tr[data-row="conv2"]').click()
    WebDriverWait(browser, WAIT).until(
        lambda d: "Conv2d(20, 50, kernel_size=(5, 5), stride=(1, 1))" in model_view_text(d, "code"), "no explain view")
    assert browser.find_elements(By.CSS_SELECTOR, "#model-view svg rect.out-cell")
    row = browser.find_element(By.CSS_SELECTOR, '#model-table tr[data-row="conv2"]')
    assert "selected" in row.get_attribute("class")
    assert "row=conv2" in browser.current_url
    before = browser.find_element(By.ID, "model-about").text
    browser.find_element(By.ID, "digit-next").click()
    WebDriverWait(browser, WAIT).until(lambda d: "bundled digit #1" in d.find_element(By.ID, "model-about").text
                                       and d.find_element(By.ID, "model-about").text != before, "digit unchanged")
    assert "image=digit%3A1" in browser.current_url or "image=digit:1" in browser.current_url
    assert console_errors(browser) == []
