"""The sandbox, checked from inside real containers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest

from reprocheck.backend.base import PROJECT_LABEL, RUN_LABEL, BindMount, BuildRequest, RunRequest, Sandbox
from reprocheck.backend.journal import read_runs
from reprocheck.errors import ConfigError
from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE, engine_or_skip, new_backend, project_filter, run_filter

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
    engine_or_skip()
    return new_backend(run_id=f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def runner(backend):
    """The one client the pipeline uses on every engine (the docker SDK): the sandbox, limits and cleanup."""
    return backend


def own_containers(b) -> list[object]:
    return list(new_backend().client.api.containers(all=True, filters=run_filter(b)))


def test_sandbox_defaults_hold_inside_the_container(runner, tmp_path):
    (tmp_path / "in.txt").write_text("input")
    sandbox = Sandbox(memory=256 * 1024**2, pids=64, mounts=(BindMount(str(tmp_path / "in.txt"), "/data/in.txt"),))
    result = runner.run(RunRequest(BASE_IMAGE, ("python3", "-c", PROBE), sandbox, timeout=60))
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
    assert own_containers(runner) == []


def test_background_removal_is_waited_for_by_close(tmp_path):
    """With background_removal (the pipeline's backend) ``run`` returns before the engine has removed the
    container; ``close`` waits for every removal, and then nothing of the run is left: no container, no
    journal. An interrupted run (Ctrl-C, SIGTERM) goes through the same ``close``: tests/e2e/test_smoke.py."""
    engine_or_skip()
    b = new_backend(project=tmp_path, run_id=f"test-{uuid.uuid4().hex[:8]}", background_removal=True)
    for code in (0, 3):
        result = b.run(RunRequest(BASE_IMAGE, ("python3", "-c", f"raise SystemExit({code})"), Sandbox(), timeout=60))
        assert result.exit_code == code
    b.close()
    assert own_containers(b) == []
    assert not b.journal.path.exists()


def test_network_when_asked(runner):
    result = runner.run(
        RunRequest(
            BASE_IMAGE,
            ("python3", "-c", "import os; print(sorted(os.listdir('/sys/class/net')))"),
            Sandbox(network=True),
            timeout=60,
        )
    )
    assert "eth0" in result.stdout.decode()


def test_timeout_kills_and_removes(runner):
    result = runner.run(RunRequest(BASE_IMAGE, ("python3", "-c", "import time; time.sleep(60)"), Sandbox(), timeout=2))
    assert result.timed_out and result.exit_code is None and result.seconds < 30
    assert own_containers(runner) == []


def test_read_back_files_and_stderr(runner):
    script = "import sys; open('/tmp/out.txt', 'w').write('hello'); print('oops', file=sys.stderr); sys.exit(3)"
    result = runner.run(
        RunRequest(BASE_IMAGE, ("python3", "-c", script), Sandbox(), timeout=60, read_files=("/tmp/out.txt",))
    )
    assert result.exit_code == 3 and result.stderr.strip() == b"oops"
    assert result.files == {}  # /tmp is a tmpfs: it goes with the container; outputs must be bind-mounted


def test_an_executable_not_in_the_image_is_exit_127_with_the_engines_words(runner):
    result = runner.run(RunRequest(BASE_IMAGE, ("no-such-program", "x"), Sandbox(), timeout=60))
    assert result.exit_code == 127 and b"no-such-program" in result.stderr
    assert own_containers(runner) == []


def test_a_run_reads_files_back_from_the_stopped_container(runner):
    result = runner.run(
        RunRequest(BASE_IMAGE, ("true",), Sandbox(), timeout=60, read_files=("/etc/debian_version", "/nope"))
    )
    assert result.exit_code == 0 and set(result.files) == {"/etc/debian_version"}
    assert result.files["/etc/debian_version"].strip()[:2].isdigit()


def test_export_files_streams_the_file_system(backend):
    seen = {}
    for entry in backend.export_files(BASE_IMAGE):
        if entry.path in ("/usr/bin/python3.11", "/etc/debian_version", "/usr/bin/python3"):
            seen[entry.path] = entry
    assert seen["/usr/bin/python3.11"].kind == "file" and len(seen["/usr/bin/python3.11"].digest or "") == 64
    assert seen["/usr/bin/python3"].kind == "symlink" and seen["/usr/bin/python3"].link == "python3.11"
    assert own_containers(backend) == []


def test_inspect_and_missing_images(runner):
    info = runner.inspect(BASE_IMAGE)
    assert info is not None and info.os == "linux" and info.layers
    assert runner.inspect("reprocheck/does-not-exist:0") is None


ESCAPE = """
import os, socket
found = []
for path in ("/var/run/docker.sock", "/run/docker.sock", HOST_FILE):
    try:
        open(path, "rb").read(1)
        found.append(path)
    except OSError:
        pass
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        found.append("connected " + path)
    except OSError:
        pass
print(found, sorted(os.listdir("/dev")))
"""


def test_the_prediction_cannot_reach_the_engine_socket_or_a_host_file(runner, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    script = ESCAPE.replace("HOST_FILE", repr(str(secret)))
    result = runner.run(RunRequest(BASE_IMAGE, ("python3", "-c", script), Sandbox(), timeout=60))
    assert result.exit_code == 0, result.stderr.decode()
    found, devices = result.stdout.decode().split("] ", 1)
    assert found == "["
    assert "sda" not in devices and "kmsg" not in devices  # the default device set only


@pytest.mark.parametrize("source", ["/var/run/docker.sock", "/dev/null", "/proc/self", "/"])
def test_the_backend_refuses_to_mount_the_socket_devices_and_host_system_paths(runner, source):
    if not os.path.exists(source):
        pytest.skip(f"{source} does not exist here")
    with pytest.raises(ConfigError, match="refused to mount"):
        runner.run(RunRequest(BASE_IMAGE, ("true",), Sandbox(mounts=(BindMount(source, "/x"),)), timeout=30))
    assert own_containers(runner) == []


def test_everything_carries_the_run_and_project_labels(tmp_path):
    engine_or_skip()
    b = new_backend(project=tmp_path, run_id=f"test-{uuid.uuid4().hex[:8]}")
    labels: dict[str, str] = {}

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not labels:
            for c in b.client.api.containers(filters=run_filter(b)):
                labels.update(c["Labels"])
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    b.run(RunRequest(BASE_IMAGE, ("python3", "-c", "import time; time.sleep(3)"), Sandbox(), timeout=60))
    watcher.join()
    assert labels[RUN_LABEL] == b.run_id and labels[PROJECT_LABEL].startswith(tmp_path.name.lower()[:20])
    assert not b.journal.path.exists()  # nothing outstanding: no journal left


def test_huge_stdout_is_cut_at_the_limit_with_flat_memory(runner):
    script = "import sys\nblock = b'x' * (1 << 20)\nfor _ in range(100):\n    sys.stdout.buffer.write(block)\n"
    tracemalloc.start()
    try:
        result = runner.run(RunRequest(BASE_IMAGE, ("python3", "-c", script), Sandbox(max_output=4 << 20), timeout=120))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exceeded == "stdout" and len(result.stdout) == 4 << 20
    assert result.exit_code == 137 and result.seconds < 60  # killed at the limit, not at the timeout
    assert peak < 24 << 20, f"reprocheck held {peak >> 20} MiB for a prediction printing 100 MiB"
    assert own_containers(runner) == []


def test_a_huge_output_file_never_grows_past_the_limit_on_the_host(runner, tmp_path):
    out = tmp_path / "out.bin"
    out.touch()
    out.chmod(0o666)
    script = "f = open('/out/out.bin', 'wb')\nfor _ in range(300):\n    f.write(b'x' * (1 << 20))\n"
    limit = 1 << 20
    sandbox = Sandbox(mounts=(BindMount(str(out), "/out/out.bin", read_only=False),), max_file=limit + 1)
    result = runner.run(RunRequest(BASE_IMAGE, ("python3", "-c", script), sandbox, timeout=120))
    assert result.exit_code != 0 and b"File too large" in result.stderr
    assert out.stat().st_size == limit + 1


def test_build_steps_are_numbered_as_docker_numbers_them(backend, tmp_path):
    (tmp_path / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nENV A={uuid.uuid4().hex}\nRUN true\n")
    lines: list[str] = []
    tag = f"reprocheck/test-steps:{uuid.uuid4().hex[:8]}"
    request = BuildRequest(tmp_path, tmp_path / "Dockerfile", tag, labels={"x": "1"}, network="none")
    result = backend.build(request, lines.append)
    try:
        assert result.ok, result.error
        steps = [line for line in lines if line.startswith("Step ")]
        assert steps == [f"Step 1/3 : FROM {BASE_IMAGE}", steps[1], "Step 3/3 : RUN true"], lines
        info = backend.inspect(tag)
        assert info is not None and info.labels["x"] == "1" and info.labels[RUN_LABEL] == backend.run_id
    finally:
        backend.remove_image(tag)


KILLED_BUILD = """
import sys
from pathlib import Path
from reprocheck.backend.base import BuildRequest
from reprocheck.runtime.engine import open_backend
root = Path(sys.argv[1])
b = open_backend(project=root, run_id=sys.argv[2])
b.build(BuildRequest(root, root / "Dockerfile", "reprocheck/test-killed:" + sys.argv[2], network="none"), print)
"""


def test_kill_9_mid_build_leaves_what_clean_then_finds(backend, tmp_path):
    project = tmp_path / "killed"
    project.mkdir()
    token = uuid.uuid4().hex[:10]
    (project / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN echo {token} > /a\nRUN echo {token} > /b\nRUN sleep 300\n"
    )
    run_id = f"test-{token}"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(project), run_id], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    state = None
    while time.monotonic() < deadline:
        state = next((r for r in read_runs() if r.run == run_id), None)
        if state is not None and len(state.outstanding["image"]) >= 2 and state.outstanding["container"]:
            break
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert state is not None and len(state.outstanding["image"]) >= 2, "the build never got to its third step"
    left = [i for i in state.outstanding["image"] if backend.inspect(i) is not None]
    assert left, "kill -9 left nothing: the test proves nothing"
    for image in left:  # unlabelled: only the journal knows them
        info = backend.inspect(image)
        assert info is not None and RUN_LABEL not in info.labels
    r = run_cli("clean", str(project))
    assert r.code == 0, r.err
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(backend.inspect(i) for i in left):
        run_cli("clean", str(project))  # the engine may still be tearing the cancelled step down
        time.sleep(1)
    assert [i for i in left if backend.inspect(i) is not None] == []
    assert backend.client.api.containers(all=True, filters={"label": f"{RUN_LABEL}={run_id}"}) == []
    assert not any(r.run == run_id for r in read_runs())


KILLED_RUN = """
import sys
from pathlib import Path
from reprocheck.backend.base import RunRequest, Sandbox
from reprocheck.runtime.engine import open_backend
b = open_backend(project=Path(sys.argv[1]), run_id=sys.argv[2])
b.run(RunRequest(sys.argv[3], ("python3", "-c", "import time; time.sleep(300)"), Sandbox(), timeout=600))
"""


def test_kill_9_mid_run_leaves_a_container_that_clean_removes(backend, tmp_path):
    run_id = f"test-{uuid.uuid4().hex[:10]}"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(tmp_path), run_id, BASE_IMAGE])
    label = {"label": f"{RUN_LABEL}={run_id}"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not backend.client.api.containers(filters=label):
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert backend.client.api.containers(filters=label), "kill -9 left no running prediction: proves nothing"
    r = run_cli("clean", str(tmp_path))
    assert r.code == 0 and "removed 1 container," in r.out, r.out + r.err
    assert backend.client.api.containers(all=True, filters=label) == []
    assert not any(state.run == run_id for state in read_runs())


def test_clean_of_one_project_leaves_another_and_live_runs_alone(backend, tmp_path):
    mine, other = tmp_path / "mine", tmp_path / "other"
    mine.mkdir()
    other.mkdir()
    a = new_backend(project=mine, run_id=f"test-{uuid.uuid4().hex[:8]}")
    b = new_backend(project=other, run_id=f"test-{uuid.uuid4().hex[:8]}")
    results: dict[str, object] = {}
    threads = [
        threading.Thread(
            target=lambda n=n, x=x: results.setdefault(
                n,
                x.run(RunRequest(BASE_IMAGE, ("python3", "-c", "import time; time.sleep(15)"), Sandbox(), timeout=120)),
            )
        )
        for n, x in (("a", a), ("b", b))
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        a.client.api.containers(filters=run_filter(a)) and b.client.api.containers(filters=run_filter(b))
    ):
        time.sleep(0.2)
    assert a.client.api.containers(filters=run_filter(a)) and b.client.api.containers(filters=run_filter(b))
    r = run_cli("clean", str(other))  # another process: b's run is alive (this process), so it is left alone
    assert r.code == 0 and "left alone" in r.out, r.out + r.err
    assert b.client.api.containers(filters=run_filter(b)), "clean removed a live run's container"
    assert a.client.api.containers(filters=run_filter(a)), "clean of another project removed this one's"
    assert a.client.api.containers(filters=project_filter(mine))
    for t in threads:
        t.join()
    assert [getattr(results[n], "exit_code", None) for n in "ab"] == [0, 0]


@pytest.mark.parametrize("readiness", ["port", "http", "log"])
def test_a_server_that_exits_at_once_is_an_exit_not_an_engine_error(backend, readiness):
    from reprocheck.backend.base import ServeRequest
    from reprocheck.backend.http import Call

    request = ServeRequest(
        BASE_IMAGE,
        8080,
        (Call(),),
        Sandbox(),
        command=("python3", "-c", "import sys; print('bye'); sys.exit(3)"),
        timeout=30,
        ready_http="/health" if readiness == "http" else None,
        ready_log="never printed" if readiness == "log" else None,
        ready_timeout=30,
    )
    for _ in range(3):  # the race (a probe meeting a stopped container: 409 Conflict) is not every time
        result = backend.serve(request, lambda _: None)
        assert (result.ready, result.exited, result.exit_code) == (False, True, 3), result
        assert result.stdout.strip() == b"bye" and result.replies == ()
    assert own_containers(backend) == []
    assert backend.client.api.networks(filters=run_filter(backend)) == []


SERVER = """
import http.server, json, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"] or 0))
        body = json.dumps({"pid": os.getpid(), "got": data.decode()}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        print("served", *a, flush=True)
print("listening on 0.0.0.0:8080", flush=True)
http.server.HTTPServer(("0.0.0.0", 8080), H).serve_forever()
"""


@pytest.mark.parametrize("readiness", ["port", "log"])
def test_one_server_start_answers_every_call_in_order(backend, tmp_path: Path, readiness):
    """Several calls, one container: the same process answers each, in order, on 127.0.0.1 only; the
    server's output is read by the bounded reader; nothing is left."""
    from reprocheck.backend.base import ServeRequest
    from reprocheck.backend.http import Call

    bodies = []
    for n in range(3):
        bodies.append(tmp_path / f"b{n}.json")
        bodies[-1].write_text(f'{{"n": {n}}}')
    created: list[str] = []
    request = ServeRequest(
        BASE_IMAGE,
        8080,
        tuple(Call("/predict", "POST", b) for b in bodies),
        Sandbox(),
        command=("python3", "-c", SERVER),
        timeout=30,
        ready_log="listening on" if readiness == "log" else None,
        ready_timeout=30,
    )
    original = backend.journal.created

    def spy(kind: str, object_id: str) -> None:
        created.append(kind)
        original(kind, object_id)

    backend.journal.created = spy
    try:
        result = backend.serve(request, lambda _: None)
    finally:
        backend.journal.created = original
    assert result.ready and not result.exited, result
    answers = [json.loads(r.body or b"") for r in result.replies]
    assert [a["got"] for a in answers] == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
    assert len({a["pid"] for a in answers}) == 1  # one server process answered all three
    assert created.count("container") == 1, created
    assert result.stdout.count(b"served") == 3
    assert own_containers(backend) == []
    assert backend.client.api.networks(filters=run_filter(backend)) == []
