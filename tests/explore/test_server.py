"""The explorer's server (npconv/explore/server.py): routes, the static whitelist, the Host check, the
headers that keep the page offline, and concurrent requests answering exactly what one request would."""
import json
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from npconv.explore.server import STATIC_FILES, ExplorerApp
from npconv.explore.layers import explain_layer


def get(url, host=None):
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def layer_url(base, text, shape, at=None):
    query = {"layer": text, "input": shape, **({"at": at} if at else {})}
    return f"{base}api/layer?{urllib.parse.urlencode(query)}"


def test_the_page_and_its_files_are_served_with_an_offline_policy(explorer):
    status, headers, body = get(explorer)
    assert status == 200 and b"<title>npconv explore</title>" in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for name in STATIC_FILES:
        status, headers, body = get(explorer + "static/" + name)
        assert status == 200 and body and headers["Content-Type"] == STATIC_FILES[name]
        assert b"http://" not in body.replace(b"http://www.w3.org", b"") and b"https://" not in body


@pytest.mark.parametrize("path", ["static/../server.py", "static/%2e%2e/server.py", "static/layers.py",
                                  "static//etc/passwd", "etc/passwd", "api/nothing"])
def test_nothing_outside_the_static_list_is_read(explorer, path):
    status, _, body = get(explorer + path)
    assert status == 404 and json.loads(body)["ok"] is False


def test_a_request_naming_another_host_is_refused(explorer):
    status, _, body = get(explorer, host="attacker.example:80")
    assert status == 403 and b"Host" in body


def test_other_methods_and_long_requests_are_refused(explorer):
    request = urllib.request.Request(explorer + "api/layer", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 501
    status, _, _ = get(explorer + "api/layer?layer=" + "x" * 5000)
    assert status == 414


def test_the_layer_answer_is_explain_layers(explorer):
    status, _, body = get(layer_url(explorer, "Conv2d(1, 1, 3, stride=2)", "1,1,7,7", "1,2"))
    answer = json.loads(body)
    expected = explain_layer("Conv2d(1, 1, 3, stride=2)", "1,1,7,7", "1,2")
    assert status == 200 and answer == json.loads(json.dumps(expected))
    status, _, body = get(layer_url(explorer, "Conv2d(1, 1, 9)", "1,1,7,7"))
    assert json.loads(body) == {"ok": False, "error": "Conv2d on input (1, 1, 7, 7): Calculated padded input "
                                "size per channel: (7 x 7). Kernel size: (9 x 9). Kernel size can't be greater "
                                "than actual input size"}


def test_concurrent_requests_answer_as_one_request_would(explorer):
    cases = [(f"Conv2d(2, 4, {k}, stride={s}, padding=1)", "1,2,9,9", f"{i},{i}")
             for i, (k, s) in enumerate([(3, 1), (3, 2), (2, 1), (4, 2), (1, 1), (5, 1)])]
    cases += [("MaxPool2d(2)", "1,1,8,8", "1,3"), ("Upsample(scale_factor=2)", "1,1,3,3", "5,4")]
    expected = {case: json.dumps(explain_layer(*case), sort_keys=True) for case in cases}
    answers, errors = {}, []

    def fetch(case):
        try:
            _, _, body = get(layer_url(explorer, *case))
            answers.setdefault(case, []).append(json.dumps(json.loads(body), sort_keys=True))
        except Exception as error:  # noqa: BLE001 - reported below with the case
            errors.append((case, error))
    threads = [threading.Thread(target=fetch, args=(case,)) for case in cases * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert {case: set(found) for case, found in answers.items()} == {case: {expected[case]} for case in cases}


def test_the_app_answers_without_http():
    status, content_type, body = ExplorerApp().answer("/api/schema", {})
    assert status == 200 and content_type == "application/json"
    assert [layer["name"] for layer in json.loads(body)["layers"]][:3] == ["Conv1d", "Conv2d", "Conv3d"]


def test_concurrent_model_requests_answer_as_one_request_would(explorer):
    rows = ["conv1", "F.max_pool2d:1", "conv2", "F.max_pool2d:2"]
    urls = [f"{explorer}api/model/layer?" + urllib.parse.urlencode({"row": row, "image": "digit:2", "at": "1,1"})
            for row in rows]
    expected = {url: get(url)[2] for url in urls}
    answers = {}
    threads = [threading.Thread(target=lambda u=url: answers.setdefault(u, []).append(get(u)[2])) for url in urls * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert {url: set(found) for url, found in answers.items()} == {url: {expected[url]} for url in urls}
    assert all(json.loads(body)["ok"] for body in expected.values())


def test_the_host_check_accepts_the_loopback_names(explorer):
    port = urllib.parse.urlsplit(explorer).port
    for host in ("127.0.0.1", "localhost", "0.0.0.0"):
        assert get(explorer, host=f"{host}:{port}")[0] == 200


def test_the_page_arrives_with_the_first_diagram_and_code_in_it(explorer):
    from html import escape
    _, _, body = get(explorer)
    page = body.decode("utf-8")
    first = explain_layer("Conv2d(1, 1, kernel_size=3)", "1,1,5,5")
    assert page.count("<svg") == 1 and first["svg"] in page and escape(first["code"]) in page
    assert "<!--initial:" not in page
