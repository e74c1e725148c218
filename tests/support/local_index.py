"""A PEP 503 package index served on 127.0.0.1 from a folder of wheels and sdists.

Tests and fixture generation resolve against it, so nothing they write records a public registry, and
builds that install from it are hermetic.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_DIST = re.compile(r"^(?P<name>.+?)-(?P<version>\d[^-]*)(-.*)?\.(whl|tar\.gz|zip)$")


def project_of(filename: str) -> str:
    m = _DIST.match(filename)
    name = m.group("name") if m else filename.split("-", 1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def build_index(dists: Path, root: Path) -> Path:
    """Write ``root/simple/<project>/index.html`` pages linking the files of ``dists`` (with sha256)."""
    simple = root / "simple"
    files: dict[str, list[Path]] = {}
    for f in sorted(dists.iterdir()):
        if f.is_file() and f.name.endswith((".whl", ".tar.gz", ".zip")):
            files.setdefault(project_of(f.name), []).append(f)
    packages = root / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    for project, dist_files in files.items():
        page = simple / project
        page.mkdir(parents=True, exist_ok=True)
        links = []
        for f in dist_files:
            target = packages / f.name
            if not target.exists():
                target.symlink_to(f.resolve())
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
            links.append(
                f'<a href="../../packages/{html.escape(f.name)}#sha256={digest}">{html.escape(f.name)}</a><br>'
            )
        (page / "index.html").write_text("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n")
    listing = "".join(f'<a href="{p}/">{p}</a><br>\n' for p in sorted(files))
    (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{listing}</body></html>\n")
    return simple


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(root: Path, port: int = 0) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1; yields the base URL. The server stops when the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
