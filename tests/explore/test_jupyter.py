"""``npconv.explore()`` in Jupyter: a running server in a background thread and an inline iframe of it."""
import json
import urllib.request

import npconv


def test_explore_serves_in_the_background_and_shows_inline():
    view = npconv.explore()
    try:
        html = view._repr_html_()
        assert html.startswith("<iframe") and f'src="{view.url}"' in html
        assert view.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(view.url + "api/schema", timeout=30) as response:
            assert json.loads(response.read())["ok"] is True
    finally:
        view.stop()
