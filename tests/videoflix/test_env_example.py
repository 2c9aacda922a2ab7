"""`.env.example` documents every variable the code reads."""

import re

from tests.support import ROOT

READ = re.compile(r"""env_(?:str|bool|int|list)\(\s*["']([A-Z][A-Z0-9_]*)["']""")
DOCUMENTED = re.compile(r"^([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def test_every_variable_read_by_the_code_is_documented():
    sources = [
        path
        for room in ("videoflix", "accounts", "catalog", "streaming")
        for path in (ROOT / room).rglob("*.py")
    ]
    read = {name for path in sources for name in READ.findall(path.read_text())}
    documented = set(DOCUMENTED.findall((ROOT / ".env.example").read_text()))
    assert read, "no env_* calls found: the pattern no longer matches the settings code"
    assert read - documented == set()
