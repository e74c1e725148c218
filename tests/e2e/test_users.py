"""Issue 24 fault 8 on the real engine: root by another spelling. The image's ``USER 00``/``+0``/a uid-0 name
and the config's ``user = "+0"``/``"-0"``/``"00"``/``"0:0"``/a uid-0 name ran the project's code as root with
no ``allow-root``; a name the image cannot resolve made the run fail to start. The prediction prints its uid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reprocheck.backend.base import RUN_LABEL, RunRequest, Sandbox
from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE, engine_or_skip, project_objects

pytestmark = pytest.mark.engine

DOCKERFILE = (
    f"FROM {BASE_IMAGE}\nRUN echo 'admin:x:0:0:root by another name:/root:/bin/sh' >> /etc/passwd\n"
    "COPY p.py /app/\nWORKDIR /app\n"
)
HEAD = '[tool.reprocheck.smoke]\ncommand = ["python3", "p.py"]\ngolden = "golden.json"\nkeep-images = 8\n'
NOBODY = "[65534]\n"


@pytest.fixture(scope="module")
def backend():
    return engine_or_skip()


@pytest.fixture(scope="module")
def project(backend, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("users")
    (root / "p.py").write_text("import os\nprint([os.getuid()])\n")
    yield root
    run_cli("clean", str(root))


def smoke(project: Path, user_line: str = "", spec: str = "", golden: str = NOBODY) -> tuple[int, dict[str, Any], str]:
    (project / "Dockerfile").write_text(DOCKERFILE + user_line)
    (project / "pyproject.toml").write_text(HEAD + spec)
    (project / "golden.json").write_text(golden)
    r = run_cli("smoke", "--progress", "quiet", "--format", "json", cwd=project)
    return r.code, (json.loads(r.out) if r.out.startswith("{") else {}), r.err


@pytest.mark.parametrize("user", ["00", "+0", "-0", "admin"])
def test_the_images_root_by_any_spelling_runs_as_nobody(project: Path, backend, user: str):
    code, data, err = smoke(project, f"USER {user}\n")
    assert code == 0, (err, data)  # the prediction printed 65534
    assert f"the image's `USER {user}` is uid 0: the prediction runs as nobody (65534)" in data["notes"]
    # the backend decides the same when nothing names a user (verify's probe)
    image = next(i for i in project_objects(backend, project)[1] if backend.inspect(i).user == user)
    r = backend.run(
        RunRequest(
            image, ("python3", "-c", "import os; print(os.getuid())"), Sandbox(labels={RUN_LABEL: backend.run_id}), 60
        )
    )
    assert r.stdout.strip() == b"65534", r


def test_a_user_the_image_cannot_resolve_runs_as_nobody_with_a_note(project: Path):
    code, data, err = smoke(project, "USER ghost\n")
    assert code == 0, (err, data)
    assert any("`USER ghost` cannot run (no user `ghost` in the image's /etc/passwd)" in n for n in data["notes"])
    code, data, err = smoke(project, spec='user = "ghost:ghost"\n')
    assert code == 0, (err, data)
    assert any("`user = 'ghost:ghost'` cannot run in this image" in n for n in data["notes"])


@pytest.mark.parametrize("user", ["+0", "-0", "00", "0:0", "admin"])
def test_the_configs_root_by_any_spelling_needs_allow_root(project: Path, user: str):
    code, data, err = smoke(project, spec=f'user = "{user}"\n')
    assert code == 2 and not data, err
    assert "pyproject.toml:5: error: smoke.user: " in err and "refused unless `allow-root = true`" in err
    code, data, err = smoke(project, spec=f'user = "{user}"\nallow-root = true\n', golden="[0]\n")
    assert code == 0, (err, data)  # it ran as root, as asked, and says so
    assert (
        f"warning: the prediction runs as root (`user = {user!r}`, allow-root = true), not as nobody" in data["notes"]
    )


def test_verify_reads_the_images_passwd_for_a_name(project: Path):
    (project / "Dockerfile").write_text(DOCKERFILE + "USER admin\n")
    (project / "pyproject.toml").write_text(HEAD)
    r = run_cli("verify", "--progress", "quiet", "--format", "json", cwd=project)
    assert "internal error" not in r.err, r.err
    rules = [f["rule"] for f in json.loads(r.out)["findings"]]
    assert "RC815" in rules, r.out  # the image runs as root: `admin` is uid 0 in its /etc/passwd
