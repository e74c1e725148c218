"""The sandbox, checked from inside real containers."""

from __future__ import annotations

import pytest

from reprocheck.backend.base import LABEL, BindMount, Sandbox
from tests.support.engine import BASE_IMAGE, engine_or_skip

pytestmark = pytest.mark.engine

PROBE = """
import os, socket, sys
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
def read(*paths):
    for p in paths:
        try:
            return open(p).read().strip()
        except OSError:
            continue
    return "?"
try:
    open("/app-write-test", "w")
    rootfs = "writable"
except OSError:
    rootfs = "read-only"
open("/tmp/ok", "w").write("x")
try:
    socket.create_connection(("127.0.0.2", 9), timeout=1)
except OSError:
    pass
print(os.getuid(), status["CapEff"].strip(), status["NoNewPrivs"].strip(), rootfs, sorted(os.listdir("/sys/class/net")),
      read("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max"),
      read("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"), open("/data/in.txt").read())
"""


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


def test_sandbox_defaults_hold_inside_the_container(backend, tmp_path):
    (tmp_path / "in.txt").write_text("input")
    sandbox = Sandbox(memory=256 * 1024**2, pids=64, mounts=(BindMount(str(tmp_path / "in.txt"), "/data/in.txt"),))
    result = backend.run(BASE_IMAGE, ("python3", "-c", PROBE), sandbox, timeout=60)
    assert result.exit_code == 0, result.stderr.decode()
    uid, cap, nnp, rootfs, nets, pids, memory, data = result.stdout.decode().split(" ", 7)
    assert uid == "65534"  # the image runs as root; the sandbox does not
    assert cap == "0000000000000000"
    assert nnp == "1"
    assert rootfs == "read-only"
    assert nets == "['lo']"
    assert pids.endswith("64")
    assert memory.strip() == str(256 * 1024**2)
    assert data.strip() == "input"
    assert backend.client.api.containers(all=True, filters={"label": LABEL}) == []


def test_network_when_asked(backend):
    result = backend.run(
        BASE_IMAGE,
        ("python3", "-c", "import os; print(sorted(os.listdir('/sys/class/net')))"),
        Sandbox(network=True),
        timeout=60,
    )
    assert "eth0" in result.stdout.decode()


def test_timeout_kills_and_removes(backend):
    result = backend.run(BASE_IMAGE, ("python3", "-c", "import time; time.sleep(60)"), Sandbox(), timeout=2)
    assert result.timed_out and result.exit_code is None and result.seconds < 30
    assert backend.client.api.containers(all=True, filters={"label": LABEL}) == []


def test_read_back_files_and_stderr(backend):
    script = "import sys; open('/tmp/out.txt', 'w').write('hello'); print('oops', file=sys.stderr); sys.exit(3)"
    result = backend.run(BASE_IMAGE, ("python3", "-c", script), Sandbox(), timeout=60, read_files=("/tmp/out.txt",))
    assert result.exit_code == 3 and result.stderr.strip() == b"oops"
    assert result.files == {}  # /tmp is a tmpfs: it goes with the container; outputs must be bind-mounted


def test_export_files_streams_the_file_system(backend):
    seen = {}
    for entry in backend.export_files(BASE_IMAGE):
        if entry.path in ("/usr/bin/python3.11", "/etc/debian_version", "/usr/bin/python3"):
            seen[entry.path] = entry
    assert seen["/usr/bin/python3.11"].kind == "file" and len(seen["/usr/bin/python3.11"].digest or "") == 64
    assert seen["/usr/bin/python3"].kind == "symlink" and seen["/usr/bin/python3"].link == "python3.11"
    assert backend.client.api.containers(all=True, filters={"label": LABEL}) == []


def test_inspect_and_missing_images(backend):
    info = backend.inspect(BASE_IMAGE)
    assert info is not None and info.os == "linux" and info.layers
    assert backend.inspect("reprocheck/does-not-exist:0") is None
