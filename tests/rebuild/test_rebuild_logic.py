"""rebuild's pure parts: tree diffs, causes, layer attribution, findings, configuration."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import pytest

from reprocheck.backend.base import FileEntry, ImageInfo, SavedLayers
from reprocheck.errors import ConfigError
from reprocheck.parsing.dockerfile import parse_dockerfile
from reprocheck.rebuild.diff import FileChange, diff_config, diff_trees, index, same_layers
from reprocheck.rebuild.explain import Origin, cause_of, findings, group
from reprocheck.rebuild.layers import layer_origins, origin_finder
from reprocheck.rebuild.spec import parse_rebuild


def f(path: str, digest: str | None = "a", mode: int = 0o644, mtime: int = 1, kind: str = "file", **kw) -> FileEntry:
    return FileEntry(
        path, kind, mode, kw.get("uid", 0), kw.get("gid", 0), kw.get("size", 1), mtime, digest, kw.get("link")
    )


def test_tree_diff_names_each_kind_of_change():
    first = [
        f("/app/same.py"),
        f("/app/content.txt", "a"),
        f("/app/mode.sh", mode=0o644),
        f("/app/owner", uid=0),
        f("/app/time", mtime=1),
        f("/app/gone"),
        f("/app/link", None, kind="symlink", link="a"),
        f("/app", None, kind="dir", mtime=1),
        f("/.dockerenv", mtime=1),
    ]
    second = [
        f("/app/same.py"),
        f("/app/content.txt", "b", mtime=2),
        f("/app/mode.sh", mode=0o664),
        f("/app/owner", uid=1000),
        f("/app/time", mtime=2),
        f("/app/new"),
        f("/app/link", None, kind="symlink", link="b"),
        f("/app", None, kind="dir", mtime=2),  # a directory's mtime alone changes its layer's digest
        f("/.dockerenv", mtime=2),  # made by `docker export`'s container, not the image
    ]
    tree = diff_trees(index(first), iter(second))
    got = {c.path: (c.change, c.also) for c in tree.changes}
    assert got == {
        "/app/content.txt": ("content", ("mtime",)),
        "/app/mode.sh": ("mode", ()),
        "/app/owner": ("owner", ()),
        "/app/time": ("mtime", ()),
        "/app/gone": ("removed", ()),
        "/app/new": ("added", ()),
        "/app/link": ("link", ()),
        "/app": ("mtime", ()),
    }
    assert tree.files_b == len(second) - 1  # the export's own /.dockerenv is not counted


def test_tree_diff_streams_the_second_tree():
    """Memory grows with the first tree's paths; the second arrives one entry at a time."""
    n = 50_000
    first = index(f(f"/data/{i}", str(i)) for i in range(n))

    def second() -> Iterator[FileEntry]:
        for i in range(n):
            yield f(f"/data/{i}", str(i) if i % 10_000 else "changed", size=10**9)

    tracemalloc.start()
    tree = diff_trees(first, second())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [c.path for c in tree.changes] == [f"/data/{i}" for i in range(0, n, 10_000)]
    assert tree.bytes_b == n * 10**9  # 50 TB "compared": sizes are counted, never held
    assert peak < 20 * 1024**2


@pytest.mark.parametrize(
    ("path", "change", "cause"),
    [
        ("/opt/venv/lib/python3.11/site-packages/pip/__pycache__/x.cpython-311.pyc", "content", "pyc"),
        ("/usr/lib/python3/x.pyc", "content", "pyc"),
        ("/var/lib/apt/lists/example_dists_bookworm_InRelease", "content", "apt"),
        ("/var/lib/apt/lists/example_dists_bookworm_InRelease", "mtime", "mtime"),  # mtime only: RC824 anywhere
        ("/tmp/uv-3f2a1b.lock", "mtime", "mtime"),
        ("/var/cache/apt/pkgcache.bin", "content", "apt"),
        ("/var/log/dpkg.log", "content", "apt"),
        ("/var/cache/apt", "owner", "apt"),  # the directories themselves, not only what is in them
        ("/var/log/apt", "mode", "apt"),
        ("/root/.cache/pip/http/abc", "added", "cache"),
        ("/opt/conda/pkgs/urls.txt", "content", "cache"),
        ("/tmp/build.log", "content", "cache"),
        ("/app/x.py", "mtime", "mtime"),
        ("/app/x.sh", "mode", "metadata"),
        ("/app/BUILD_INFO", "content", "content"),
        ("/opt/weights.bin", "added", "content"),
    ],
)
def test_causes(path, change, cause):
    assert cause_of(FileChange(path, change)) == cause


def test_groups_by_cause_and_instruction_and_honours_allowances():
    changes = [
        FileChange("/app/BUILD_INFO", "content", "a", "b"),
        FileChange("/app/x.pyc", "content"),
        FileChange("/app/y.pyc", "content"),
        FileChange("/app/data.json", "mtime"),
        FileChange("/var/log/dpkg.log", "content"),
    ]
    origins = {"/app/BUILD_INFO": Origin(5, "RUN date > /app/BUILD_INFO", 3), "/app/x.pyc": Origin(7, "RUN pip", 4)}
    groups, skipped = group(changes, origins.get)
    assert [(g.cause, g.origin.line if g.origin else None, len(g.changes)) for g in groups] == [
        ("content", 5, 1),
        ("pyc", None, 1),
        ("pyc", 7, 1),
        ("apt", None, 1),
        ("mtime", None, 1),
    ]
    assert skipped == 0
    found = findings(groups, "Dockerfile")
    assert [(x.rule, x.location.line) for x in found] == [
        ("RC820", 5),
        ("RC821", 1),
        ("RC821", 7),
        ("RC822", 1),
        ("RC824", 1),
    ]
    assert "made by `RUN date > /app/BUILD_INFO`" in found[0].message
    assert "/app/BUILD_INFO: content a -> b" in (found[0].hint or "")
    allowed, skipped = group(changes, origins.get, allow_paths=["/app/BUILD_INFO"], allow_causes=["pyc", "apt"])
    assert [g.cause for g in allowed] == ["mtime"] and skipped == 4


def test_layers_are_attributed_to_the_final_stages_instructions():
    df = parse_dockerfile(
        b"FROM python:3.11 AS build\nRUN pip wheel -w /w numpy\n"
        b"FROM python:3.11-slim\nENV A=1\nCOPY --from=build /w /w\nRUN pip install /w/*\nUSER 1\n",
        "Dockerfile",
    )
    history = [
        ("/bin/sh -c #(nop) ADD file:abc in /", False),  # the base image
        ('/bin/sh -c #(nop)  CMD ["python3"]', True),
        ("/bin/sh -c #(nop)  ENV A=1", True),
        ("/bin/sh -c #(nop) COPY dir:123 in /w", False),
        ("/bin/sh -c pip install /w/*", False),
        ("/bin/sh -c #(nop)  USER 1", True),
        ("/bin/sh -c #(nop)  LABEL io.reprocheck.managed=1", True),
    ]
    origins = layer_origins(df, history)
    assert [(o.line, o.layer) for o in origins] == [(0, 0), (5, 1), (6, 2)]
    assert origins[0].text.startswith("/bin/sh -c #(nop) ADD") and origins[2].text == "RUN pip install /w/*"
    saved = SavedLayers(tuple(history), (frozenset(), frozenset({"/w/a.whl"}), frozenset({"/w/a.whl", "/usr/x"})))
    find = origin_finder([saved], [origins])
    assert find("/w/a.whl") == origins[2]  # the last layer that wrote it
    assert find("/usr/x") == origins[2] and find("/elsewhere") is None


def _info(**kw) -> ImageInfo:
    base = {
        "id": "sha256:x",
        "tags": (),
        "repo_digests": (),
        "user": "1",
        "workdir": "/app",
        "env": ("A=1",),
        "entrypoint": (),
        "cmd": ("python",),
        "labels": {"io.reprocheck.run": "abc"},
        "created": "2026-11-24T10:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "layers": ("sha256:1", "sha256:2"),
    }
    base.update(kw)
    return ImageInfo(**base)  # type: ignore[arg-type]


def test_config_and_layers():
    a = _info()
    b = _info(labels={"io.reprocheck.run": "def", "built": "now"}, created="later", layers=("sha256:1", "sha256:3"))
    assert [(d.key, d.after) for d in diff_config(a, b)] == [("labels", "built=now")]
    assert diff_config(a, _info(created="later", labels={"io.reprocheck.run": "zzz"})) == []
    assert same_layers(a, b) == 1 and same_layers(a, a) == 2


def test_rebuild_config_errors_name_key_and_line():
    text = "[tool.reprocheck.rebuild]\nallow-causes = ['pyc', 'timestamps']\n"
    with pytest.raises(ConfigError) as err:
        parse_rebuild({"allow-causes": ["pyc", "timestamps"]}, "pyproject.toml", text)
    assert err.value.line == 2 and "`timestamps` is not a cause" in str(err.value)
    with pytest.raises(ConfigError, match="seconds"):
        parse_rebuild({"source-date-epoch": "yesterday"}, "pyproject.toml", text)
    spec = parse_rebuild({"allow-paths": ["/var/log/*"], "vary": True, "network": "host"}, "pyproject.toml")
    assert spec.allow_paths == ("/var/log/*",) and spec.vary and spec.network == "host"


def test_directories_the_export_touches_are_not_compared_by_mtime():
    first = index([f("/etc", None, kind="dir", mtime=1), f("/opt", None, kind="dir", mtime=1)])
    second = [f("/etc", None, kind="dir", mtime=2), f("/opt", None, kind="dir", mtime=2)]
    assert [(c.path, c.change) for c in diff_trees(first, iter(second)).changes] == [("/opt", "mtime")]


def test_a_layer_hidden_by_later_ones_is_explained_at_its_instruction():
    from reprocheck.rebuild.explain import hidden_layer_finding

    found = hidden_layer_finding(Origin(3, "RUN date > /opt/stamp", 1), 1, "Dockerfile")
    assert (found.rule, found.location.line, found.severity.value) == ("RC824", 3, "info")
    assert "layer 2 differs" in found.message and "`RUN date > /opt/stamp`" in found.message
    unknown = hidden_layer_finding(None, 0, "Dockerfile")
    assert unknown.location.line == 1 and "layer 1" in unknown.message
