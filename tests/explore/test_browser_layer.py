"""Layer mode in a real browser (headless Chromium): the page loads with no console error and no request
leaving the local server, its controls change the diagram and the code, hovering an output cell traces
it, an invalid combination shows torch's error text, and the URL carries the state."""
import urllib.parse

import pytest
import torch
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.explore.conftest import console_errors, requested_urls

WAIT = 20


def open_page(browser, url):
    browser.get("about:blank")
    requested_urls(browser), console_errors(browser)   # start both logs afresh
    browser.get(url)
    WebDriverWait(browser, WAIT).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))


def text_of(browser, part):
    return browser.find_element(By.CSS_SELECTOR, f'#layer-view [data-part="{part}"]').text


def wait_for(browser, condition, message):
    WebDriverWait(browser, WAIT).until(lambda d: condition(), message)


def set_number(browser, name, value):
    box = browser.find_element(By.CSS_SELECTOR, f'[data-mode="layer"] input[name="{name}"]')
    box.clear()
    box.send_keys(str(value))


def test_page_loads_offline_with_a_diagram_and_code(browser, explorer):
    open_page(browser, explorer)
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#layer-view svg rect.out-cell"), "no diagram")
    assert "layer = nn.Conv2d(1, 1, kernel_size=3)" in text_of(browser, "code")
    assert "print(y.shape)  # torch.Size([1, 1, 3, 3])" in text_of(browser, "code")
    assert "output size, each spatial dim" in text_of(browser, "derivation")
    assert console_errors(browser) == []
    urls = requested_urls(browser)
    assert urls and all(url.startswith(explorer) or url.startswith("data:") for url in urls), urls
    assert "layer=Conv2d" in urllib.parse.unquote_plus(browser.current_url)


def test_controls_change_the_diagram_and_the_code(browser, explorer):
    open_page(browser, explorer)
    set_number(browser, "kernel_size[0]", 2)
    set_number(browser, "kernel_size[1]", 2)
    set_number(browser, "stride[0]", 2)
    wait_for(browser, lambda: "nn.Conv2d(1, 1, kernel_size=2, stride=(2, 1))" in text_of(browser, "code"),
             "the code did not follow the controls")
    wait_for(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#layer-view svg rect.kernel-cell")) == 4,
             "the diagram did not redraw a 2x2 kernel")
    # output (5 - 2) // 2 + 1 = 2 rows, (5 - 2) // 1 + 1 = 4 columns
    assert len(browser.find_elements(By.CSS_SELECTOR, "#layer-view svg rect.out-cell")) == 8
    assert "torch.Size([1, 1, 2, 4])" in text_of(browser, "code")
    browser.find_element(By.CSS_SELECTOR, "#layer-name option[value='MaxPool1d']").click()
    wait_for(browser, lambda: "nn.MaxPool1d(kernel_size=" in text_of(browser, "code"), "layer choice ignored")
    assert console_errors(browser) == []


def test_hovering_an_output_cell_traces_it(browser, explorer):
    open_page(browser, explorer + "#layer=" + urllib.parse.quote("Conv2d(1, 1, 3, padding=1)") + "&input=1,1,4,4")
    wait_for(browser, lambda: text_of(browser, "position") == "output [2, 2]", "not at the centre first")
    first = browser.find_elements(By.CSS_SELECTOR, "#layer-view svg rect.out-cell")[0]
    ActionChains(browser).move_to_element(first).perform()
    wait_for(browser, lambda: text_of(browser, "position") == "output [0, 0]", "hover did not move the trace")
    cells = browser.find_elements(By.CSS_SELECTOR, "#layer-view svg rect.out-cell")
    assert "current" in cells[0].get_attribute("class")
    read = browser.find_elements(By.CSS_SELECTOR, "#layer-view svg rect.in-cell[fill='#2f6db5']")
    assert len(read) == 4   # the corner window: 2x2 input cells, the rest is padding
    # output[0, 0] = x[0,0] + x[0,1] + x[1,0] + x[1,1] of arange(16).reshape(4, 4) = 0 + 1 + 4 + 5
    assert "forward output[0, 0, 0, 0] = 10  (matches)" in text_of(browser, "trace")
    assert "at=0%2C0" in browser.current_url or "at=0,0" in browser.current_url


def test_an_invalid_combination_shows_torchs_error(browser, explorer):
    open_page(browser, explorer)
    set_number(browser, "kernel_size[0]", 7)
    set_number(browser, "kernel_size[1]", 7)
    with pytest.raises(RuntimeError) as torch_error:
        torch.nn.Conv2d(1, 1, 7)(torch.zeros(1, 1, 5, 5))
    error = browser.find_element(By.CSS_SELECTOR, '#layer-view [data-part="error"]')
    wait_for(browser, lambda: error.is_displayed() and str(torch_error.value) in error.text, "no torch error shown")
    assert browser.find_elements(By.CSS_SELECTOR, "#layer-view svg") == []
    assert console_errors(browser) == []


def test_the_url_restores_layer_input_and_position_and_step_moves(browser, explorer):
    layer = "ConvTranspose2d(2, 4, kernel_size=3, stride=2)"
    open_page(browser, f"{explorer}#layer={urllib.parse.quote(layer)}&input=1,2,3,3&at=1,2")
    wait_for(browser, lambda: text_of(browser, "position") == "output [1, 2]", "position not restored")
    assert browser.find_element(By.ID, "layer-name").get_attribute("value") == "ConvTranspose2d"
    assert f"layer = nn.{layer}" in text_of(browser, "code")
    assert browser.find_element(By.CSS_SELECTOR, 'input[name="input-C"]').get_attribute("value") == "2"
    browser.find_element(By.CSS_SELECTOR, '#layer-view [data-part="next"]').click()
    wait_for(browser, lambda: text_of(browser, "position") == "output [1, 3]", "step did not move")
    browser.find_element(By.CSS_SELECTOR, '#layer-view [data-part="play"]').click()
    wait_for(browser, lambda: text_of(browser, "position") not in ("output [1, 3]",), "play did not move")
    browser.find_element(By.CSS_SELECTOR, '#layer-view [data-part="play"]').click()
    assert console_errors(browser) == []
