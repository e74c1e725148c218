"""apt pins from what dpkg recorded in a real image (read in a sandboxed container of it)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.support.engine import BASE_IMAGE

BASE = "python:3.11.9-slim@sha256:" + "1" * 64


@pytest.mark.engine
def test_apt_packages_pinned_to_the_versions_dpkg_recorded(make_project):
    from tests.support.engine import engine_or_skip
    from tests.support.pushed import _docker

    engine_or_skip()
    recorded = dict(
        line.split("\t")
        for line in _docker(
            "run", "--rm", "--network", "none", BASE_IMAGE, "dpkg-query", "-W", "-f", "${Package}\\t${Version}\\n"
        ).splitlines()
    )
    dockerfile = (
        f"FROM {BASE}\n"
        "# tools\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y --no-install-recommends bash \\\n"
        "       python3 no-such-package \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "USER 65534\n"
    )
    project = make_project({"p/Dockerfile": dockerfile}) / "p"
    r = run_cli(
        "fix", "--isolated", "--select", "RC2", "--from-image", BASE_IMAGE, "--format", "json", ".", cwd=project
    )
    assert r.code == 1, r.err
    expected = dockerfile.replace(" bash ", f" bash={recorded['bash']} ").replace(
        " python3 ", f" python3={recorded['python3']} "
    )
    assert (project / "Dockerfile").read_text() == expected
    (finding,) = json.loads(r.out)["findings"]
    assert finding["rule"] == "RC201" and "`no-such-package` is not installed in the image" in finding["hint"]
    assert "Debian snapshot archive" in r.err


def test_without_an_image_the_line_stays_and_the_finding_says_what_is_needed(make_project):
    dockerfile = f"FROM {BASE}\nRUN apt-get install -y curl\n"
    project = make_project({"p/Dockerfile": dockerfile}) / "p"
    r = run_cli("fix", "--isolated", "--format", "json", ".", cwd=project)
    assert r.code == 1
    assert (project / "Dockerfile").read_text() == dockerfile
    (finding,) = [f for f in json.loads(r.out)["findings"] if f["rule"] == "RC201"]
    assert finding["hint"] == "not fixed: needs --from-image IMAGE (built from this Dockerfile) to know the versions"


@pytest.mark.engine
def test_from_the_cached_image_that_verify_built_from_the_same_inputs(make_project):
    from tests.support.engine import engine_or_skip
    from tests.support.pushed import _docker

    engine_or_skip()
    dockerfile = f"FROM {BASE_IMAGE}\nRUN true || apt-get install -y bash\nUSER 65534\n"
    project = make_project({"fixcached/Dockerfile": dockerfile}) / "fixcached"
    none = run_cli("fix", "--isolated", "--select", "RC201", "--from-image", "cached", ".", cwd=project)
    assert none.code == 1 and "no image built from these inputs yet" in none.err, none.err
    built = run_cli("verify", "--progress", "quiet", "--format", "json", cwd=project)
    tags = [t for t in _docker("images", "-q", "--filter", "reference=reprocheck/fixcached").splitlines() if t]
    try:
        assert tags, built.out + built.err
        bash = _docker("run", "--rm", "--network", "none", BASE_IMAGE, "dpkg-query", "-W", "-f", "${Version}", "bash")
        r = run_cli("fix", "--isolated", "--select", "RC201", "--from-image", "cached", ".", cwd=project)
        assert r.code == 0, r.out + r.err
        assert (project / "Dockerfile").read_text() == dockerfile.replace(" bash\n", f" bash={bash}\n")
    finally:
        for image in set(tags):
            _docker("rmi", "-f", image)
