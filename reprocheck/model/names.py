from __future__ import annotations

import re

_SEP = re.compile(r"[-_.]+")


def canonical(name: str) -> str:
    """PEP 503 normalised project name: ``Foo.Bar_baz`` -> ``foo-bar-baz``."""
    return _SEP.sub("-", name).lower()
