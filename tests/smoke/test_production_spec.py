"""The smoke spec declares what production gives (issue 25): a writable root and the size of /dev/shm, so the
sandbox matches the deployment; the engine request carries them."""

from __future__ import annotations

import pytest

from reprocheck.backend.base import Sandbox, container_config
from reprocheck.errors import ConfigError
from reprocheck.smoke.facts import production
from reprocheck.smoke.spec import load_spec

SPEC = '[tool.reprocheck.smoke]\ncommand = ["python", "predict.py"]\ngolden = "golden.json"\n'


def test_by_default_the_sandbox_is_stricter_than_most_deployments(make_project):
    spec = load_spec(None, make_project({"pyproject.toml": SPEC, "Dockerfile": "FROM a\n"}))
    assert (spec.read_only, spec.shm_size) == (True, None)
    body = container_config("img", ("python",), Sandbox(), "nobody", 1.0, {})
    host = body["HostConfig"]
    assert isinstance(host, dict) and host["ReadonlyRootfs"] is True and "ShmSize" not in host


def test_production_settings_reach_the_engine_request_and_the_diagnosis(make_project):
    extra = 'read-only = false\nshm-size = "1g"\nnetwork = true\n'
    spec = load_spec(None, make_project({"pyproject.toml": SPEC + extra, "Dockerfile": "FROM a\n"}))
    assert (spec.read_only, spec.shm_size) == (False, 1024**3)
    body = container_config("img", ("python",), Sandbox(read_only=False, shm_size=spec.shm_size), "u", 1.0, {})
    host = body["HostConfig"]
    assert isinstance(host, dict) and host["ReadonlyRootfs"] is False and host["ShmSize"] == 1024**3
    made = production(spec)
    assert (made.read_only, made.shm_size, made.network) == (False, 1024**3, True)


@pytest.mark.parametrize(("extra", "key"), [('read-only = "no"\n', "read-only"), ('shm-size = "lots"\n', "shm-size")])
def test_bad_production_settings_name_the_key_and_line(make_project, extra: str, key: str):
    root = make_project({"pyproject.toml": SPEC + extra, "Dockerfile": "FROM a\n"})
    with pytest.raises(ConfigError) as exc:
        load_spec(None, root)
    assert exc.value.line == 4 and f"smoke.{key}" in exc.value.message
