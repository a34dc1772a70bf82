import pytest


@pytest.fixture(autouse=True)
def utf8_locale(monkeypatch):
    """A UTF-8 locale, whatever the machine's: tables are drawn in box characters unless a test says otherwise
    (under LANG=C npconv draws them in ASCII, see summary_table.ascii_terminal)."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_CTYPE", raising=False)
