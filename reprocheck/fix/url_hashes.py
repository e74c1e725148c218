"""RC604 for an archive URL in a requirements file: the entry gains the sha256 of what the URL serves today
(one download made by fix; unsafe: it trusts today's content).

Where the hash goes depends on the file. A file already in hash-checking mode (another entry has ``--hash``,
or ``--require-hashes``) gets `` --hash=sha256:<hex>`` like its other entries. Otherwise the URL gains a
``#sha256=<hex>`` fragment: pip checks it all the same, but a ``--hash`` would switch the whole file to
hash-checking mode, and pip would then refuse every entry without one (a git entry cannot have one)."""

from __future__ import annotations

import re

from reprocheck.model.finding import Finding
from reprocheck.parsing.requirements_file import parse_requirements_file
from reprocheck.parsing.versions import has_variable

from ._api import FixContext, Outcome, Target
from .edits import Edit
from .oci import LookupFailed
from .remote import sha256_of_url

_URL = re.compile(r"https?://[^\s'\"]+", re.IGNORECASE)


def _hash_mode(target: Target) -> bool:
    parsed = parse_requirements_file(target.source.text, target.shown)
    return any(d.hashes for d in parsed.dependencies) or any(o.name == "--require-hashes" for o in parsed.options)


def hash_url_entry(ctx: FixContext, target: Target, finding: Finding, out: Outcome) -> bool:
    """Hash the archive URL on the finding's line; False when the line holds no http(s) URL."""
    number = finding.location.line
    code = target.source.line(number).split(" #", 1)[0]
    m = _URL.search(code)
    if m is None:
        return False
    url = m.group(0)
    if has_variable(url):
        out.fail(finding, "the URL names an environment variable; hash it by hand")
        return True
    download, fragment, _ = url.partition("#")
    try:
        digest = sha256_of_url(ctx, download)
    except LookupFailed as exc:
        out.fail(finding, str(exc))
        return True
    if _hash_mode(target):
        body = code.rstrip()
        end = len(body[:-1].rstrip()) if body.endswith("\\") else len(body)
        edit = Edit(target.shown, number, end, end, f" --hash=sha256:{digest}", "RC604", f"{download} hashed")
    elif fragment:
        at = m.start() + len(download) + 1
        edit = Edit(target.shown, number, at, at, f"sha256={digest}&", "RC604", f"{download} hashed (#sha256=)")
    else:
        edit = Edit(
            target.shown, number, m.end(), m.end(), f"#sha256={digest}", "RC604", f"{download} hashed (#sha256=)"
        )
    out.edits.append(edit)
    return True
