from __future__ import annotations

import pytest

from reprocheck.model.install import SpecKind
from reprocheck.parsing.installers import parse_install
from reprocheck.parsing.installers.conda import judge_conda_spec
from reprocheck.parsing.requirement import classify_requirement, vcs_ref
from reprocheck.parsing.shell import parse_script


def install(script: str):
    cmds = parse_script(script, {}, 1, 0)
    found = [i for i in (parse_install(c) for c in cmds) if i is not None]
    assert found, script
    return found[-1]


@pytest.mark.parametrize(
    ("req", "pinned", "kind"),
    [
        ("numpy==1.26.4", True, SpecKind.NAME),
        ("numpy===1.26.4", True, SpecKind.NAME),
        ("numpy[extra] == 1.26.4 ; python_version>'3'", True, SpecKind.NAME),
        ("numpy", False, SpecKind.NAME),
        ("numpy>=1.24", False, SpecKind.NAME),
        ("numpy~=1.24", False, SpecKind.NAME),
        ("numpy==1.*", False, SpecKind.NAME),
        ("numpy>=1,==1.26.4", True, SpecKind.NAME),
        ("numpy!=1.0", False, SpecKind.NAME),
        ("git+https://github.com/o/r.git@main#egg=r", False, SpecKind.VCS),
        ("git+https://github.com/o/r.git", False, SpecKind.VCS),
        ("git+https://github.com/o/r.git@4015b57a143aec5156fd1444a017a32137a3fd0f", True, SpecKind.VCS),
        ("r @ git+ssh://git@github.com/o/r.git@v1", False, SpecKind.VCS),
        ("https://host/x-1.0-py3-none-any.whl", True, SpecKind.URL),
        ("./dist/x-1.0-py3-none-any.whl", False, SpecKind.PATH),
        (".", False, SpecKind.PATH),
        ("/src/pkg", False, SpecKind.PATH),
        ("$PACKAGES", False, SpecKind.VARIABLE),
        ("torch==${TORCH_VERSION}", True, SpecKind.NAME),
    ],
)
def test_classify_requirement(req: str, pinned: bool, kind: SpecKind):
    spec = classify_requirement(req)
    assert (spec.pinned, spec.kind) == (pinned, kind), spec


def test_reasons_say_why():
    assert "range" in classify_requirement("numpy>=1.24").reason
    assert "admits later releases" in classify_requirement("numpy~=1.24").reason
    assert "wildcard" in classify_requirement("numpy==1.*").reason
    assert classify_requirement("numpy").reason == "no version"
    assert "not a valid requirement" in classify_requirement("numpy>>1").reason


def test_vcs_ref_ignores_user_at_host():
    assert vcs_ref("git+ssh://git@github.com/o/r.git") is None
    assert vcs_ref("git+ssh://git@github.com/o/r.git@abc#egg=r") == "abc"


@pytest.mark.parametrize(
    ("script", "tool", "packages"),
    [
        ("pip install -U pip", "pip", ["pip"]),
        ("pip3 --no-cache-dir install -r req.txt numpy", "pip3", ["numpy"]),
        ("python3.11 -m pip install --index-url https://i/simple x==1", "python3.11 -m pip", ["x==1"]),
        ("uv pip install --system --index-strategy unsafe-best-match torch", "uv pip", ["torch"]),
        ("pipx install ruff==0.4.4", "pipx", ["ruff==0.4.4"]),
        ("uv tool install black", "uv tool", ["black"]),
        ("pip install -e . -e git+https://g/o/r@v1#egg=r", "pip", [".", "git+https://g/o/r@v1#egg=r"]),
    ],
)
def test_pip_forms(script: str, tool: str, packages: list[str]):
    inst = install(script)
    assert inst.manager == "pip" and inst.tool == tool
    assert [p.raw for p in inst.packages] == packages


def test_pip_requirement_files_and_options():
    inst = install("pip install -r a.txt --requirement=b.txt -c c.txt --extra-index-url https://x --no-index")
    assert inst.requirement_files == ("a.txt", "b.txt")
    assert inst.constraint_files == ("c.txt",)
    assert inst.values("--extra-index-url") == ("https://x",)
    assert inst.has("--no-index")


def test_apt_specs():
    inst = install(
        "apt-get -o Acquire::Retries=3 install -y --no-install-recommends a=1.0 b c/bookworm-backports d=1.*"
    )
    got = {p.name: p.pinned for p in inst.packages}
    assert got == {"a": True, "b": False, "c": False, "d": False}
    assert install("apt-get dist-upgrade -y").action == "upgrade"


def test_apk_specs():
    inst = install("apk add --no-cache --virtual .build-deps a=1.2-r0 b c~1.2 d@edge")
    assert {p.name: p.pinned for p in inst.packages} == {"a": True, "b": False, "c": False, "d": False}


def test_rpm_specs():
    inst = install("dnf install -y --setopt=tsflags=nodocs gcc-c++-11.4.1-3.el9 python3-devel gcc-toolset-12")
    assert [p.pinned for p in inst.packages] == [True, False, False]
    assert install("microdnf install curl").manager == "rpm"
    assert install("yum groupinstall -y 'Development Tools'").packages[0].reason.startswith("a package group")
    assert install("zypper --non-interactive install -y curl=8.0").packages[0].pinned


@pytest.mark.parametrize(
    ("spec", "pinned"),
    [
        ("numpy==1.26.4", True),
        ("numpy=1.26.4", True),
        ("numpy=1.26.4=py311h", True),
        ("numpy=1.26", False),
        ("python=3.11", False),
        ("numpy>=1.2", False),
        ("numpy", False),
        ("conda-forge::numpy==1.26.4", True),
        ("numpy 1.26.4 py311h", True),
        ("numpy=1.26.*", False),
    ],
)
def test_conda_specs(spec: str, pinned: bool):
    assert judge_conda_spec(spec).pinned is pinned


def test_conda_commands():
    inst = install("micromamba install -y -n base -c conda-forge python=3.11 numpy==1.26.4")
    assert inst.manager == "conda" and [p.pinned for p in inst.packages] == [False, True]
    assert install("conda env create -f environment.yml").requirement_files == ("environment.yml",)
    assert install("conda update --all -y").action == "update"


def test_node_gem_go_cargo():
    assert [p.pinned for p in install("npm install -g serve@14.2.1 yarn@latest left-pad").packages] == [
        True,
        False,
        False,
    ]
    assert install("npm ci").action == "ci"
    assert install("npm install").action == "install-lock"
    assert [p.pinned for p in install("gem install rails:7.1.3 bundler").packages] == [True, False]
    assert install("gem install bundler -v 2.5.9").packages[0].pinned
    assert [p.pinned for p in install("go install a.b/c@v1.2.3 a.b/d@latest a.b/e").packages] == [
        True,
        False,
        False,
    ]
    assert install("cargo install ripgrep --version 14.1.0").packages[0].pinned
    assert not install("cargo install ripgrep").packages[0].pinned


def test_lock_tools():
    assert install("uv sync --locked --no-dev").options.keys() >= {"--locked"}
    assert install("uv run --frozen python x.py").action == "run"
    assert install("poetry install --no-root").action == "install"
    assert install("pipenv install --deploy --system").action == "install"
    assert install("pip-compile requirements.in").manager == "pip-tools"
