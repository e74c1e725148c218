"""Item 8 of issue 26: several cases per spec, each an input (or a request body) with its own golden; each
reported on its own; `record` records all of them. The trial's case: a spec with three cases."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from reprocheck.errors import ConfigError
from reprocheck.smoke.spec import load_spec
from tests.conftest import run_cli

PREDICT = """import json, sys
rows = json.load(open(sys.argv[1]))
print(json.dumps({"scores": [round(sum(r) / len(r), 6) for r in rows]}))
"""


def _spec_text(python: str = "python3") -> str:
    cases = "".join(
        f'[[tool.reprocheck.smoke.cases]]\nname = "{n}"\ncommand = ["{python}", "predict.py", "data/{n}.json"]\n'
        f'inputs = ["data/{n}.json"]\ngolden = "golden/{n}.json"\n'
        for n in ("small", "wide", "negative")
    )
    return '[tool.reprocheck]\nignore = ["RC102"]\n[tool.reprocheck.smoke]\ncompare = "json"\n' + cases


def _project(make_project, python: str = "python3", dockerfile: str = "FROM scratch\n") -> Path:
    root: Path = make_project(
        {
            "pyproject.toml": _spec_text(python),
            "predict.py": PREDICT,
            "data/small.json": "[[1, 2], [3, 4]]",
            "data/wide.json": "[[1, 2, 3, 4, 5, 6, 7, 8]]",
            "data/negative.json": "[[-1.5, -2.25], [0, -7]]",
            "Dockerfile": dockerfile,
        }
    )
    return root


def test_a_spec_with_three_cases(make_project):
    root = _project(make_project)
    spec = load_spec(None, root)
    names = [c.case for c in spec.each_case]
    assert names == ["small", "wide", "negative"]
    wide = spec.each_case[1]
    assert wide.command == ("python3", "predict.py", "data/wide.json") and wide.inputs == ("data/wide.json",)
    assert wide.golden == root.resolve() / "golden" / "wide.json" and wide.compare == "json"
    assert spec.golden == spec.each_case[0].golden  # the spec itself stands for its first case
    # the outputs record writes never count as build inputs
    assert {"golden/small.json", "golden/negative.json.env.json"} <= set(spec.source.volatile)


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ('[[tool.reprocheck.smoke.cases]]\nname = "a"\n', "`golden` is required"),
        (
            '[[tool.reprocheck.smoke.cases]]\nname = "a"\ngolden = "a.json"\n'
            '[[tool.reprocheck.smoke.cases]]\nname = "a"\ngolden = "b.json"\n',
            "the name `a` is used twice",
        ),
        ('[[tool.reprocheck.smoke.cases]]\nname = "a"\ngolden = "a.json"\nbody = "x.json"\n', "`body` is for serve"),
        ('[[tool.reprocheck.smoke.cases]]\nname = "a"\ngolden = "a.json"\nexpected = 1\n', "unknown key `expected`"),
    ],
)
def test_bad_cases_name_the_case(make_project, case: str, says: str):
    root = make_project(
        {"pyproject.toml": '[tool.reprocheck.smoke]\ncommand = ["python3", "p.py"]\n' + case, "Dockerfile": "FROM a\n"}
    )
    with pytest.raises(ConfigError, match=says.replace("`", ".").replace("[", ".")):
        load_spec(None, root)


def test_record_records_every_case(make_project):
    root = _project(make_project, sys.executable)
    r = run_cli("record", str(root))
    assert r.code == 0, r.err
    for name, scores in (("small", [1.5, 3.5]), ("wide", [4.5]), ("negative", [-1.875, -3.5])):
        assert f"case `{name}`: recorded " in r.out
        assert json.loads((root / "golden" / f"{name}.json").read_text()) == {"scores": scores}
        assert (root / "golden" / f"{name}.json.env.json").is_file()
    assert "recorded 3 cases" in r.out


@pytest.mark.engine
def test_smoke_reports_each_case_on_its_own(make_project):
    from tests.support.engine import BASE_IMAGE, skip_without_engine

    skip_without_engine()
    root = _project(make_project, "python3", f"FROM {BASE_IMAGE}\nWORKDIR /app\nCOPY predict.py ./\n")
    goldens = {"small": [1.5, 3.5], "wide": [4.5], "negative": [-1.875, -3.5]}
    for name, scores in goldens.items():
        (root / "golden").mkdir(exist_ok=True)
        (root / "golden" / f"{name}.json").write_text(json.dumps({"scores": scores}))
    r = run_cli("check", str(root), "--no-reuse", "--ignore", "RC8")  # a smoke stage of three cases, judged
    assert "verdict: passed" in r.out, r.out + r.err
    assert "3 of 3 cases match their golden output" in r.out
    for name in goldens:
        assert f"smoke passed: case `{name}`: the container's prediction matches {name}.json" in r.out
    (root / "golden" / "wide.json").write_text(json.dumps({"scores": [4.0]}))  # one case goes wrong
    r = run_cli("smoke", str(root), "--format", "json")
    assert r.code == 1, r.out + r.err
    (finding,) = r.json()["findings"]
    assert finding["rule"] == "RC805" and finding["message"].startswith("case `wide`: ")
    assert finding["path"].endswith("golden/wide.json")


SERVER = """import http.server, json
seen = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        seen += 1
        rows = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = json.dumps({"scores": [sum(r) / len(r) for r in rows], "request": seen}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("0.0.0.0", 8080), H).serve_forever()
"""


@pytest.mark.engine
def test_serve_mode_starts_the_server_once_for_all_its_cases(make_project):
    """Three request bodies, one server start: the server numbers the requests it has seen since it started,
    and each case's golden holds its number, so a start per case (every answer "request": 1) fails."""
    from tests.support.engine import BASE_IMAGE, skip_without_engine

    skip_without_engine()
    cases = "".join(
        f'[[tool.reprocheck.smoke.cases]]\nname = "{n}"\nbody = "data/{n}.json"\ngolden = "golden/{n}.json"\n'
        for n in ("small", "wide", "negative")
    )
    root: Path = make_project(
        {
            "pyproject.toml": '[tool.reprocheck]\nignore = ["RC102"]\n[tool.reprocheck.smoke]\n'
            'command = ["python3", "server.py"]\ngolden = "golden/small.json"\n'
            '[tool.reprocheck.smoke.serve]\nport = 8080\npath = "/predict"\nready-timeout = 30\n' + cases,
            "server.py": SERVER,
            "data/small.json": "[[1, 2], [3, 4]]",
            "data/wide.json": "[[1, 2, 3, 4, 5, 6, 7, 8]]",
            "data/negative.json": "[[-1.5, -2.25], [0, -7]]",
            "Dockerfile": f"FROM {BASE_IMAGE}\nWORKDIR /app\nCOPY server.py ./\n",
        }
    )
    # record starts the server here once per run and asks the cases in turn too: the goldens number them
    r = run_cli("record", str(root))
    assert r.code == 0, r.out + r.err
    assert "recorded 3 cases" in r.out
    for n, name in enumerate(("small", "wide", "negative"), 1):
        assert json.loads((root / "golden" / f"{name}.json").read_text())["request"] == n
    r = run_cli("smoke", str(root), "--format", "json", "--progress", "plain")
    assert r.code == 0, r.out + r.err
    assert "cases small, wide, negative: one server start" in r.err
    assert r.err.count("starting the server") == 1, r.err
    assert "server ready; 3 requests" in r.err
    # one case's golden goes wrong: that case alone is reported, with its name
    (root / "golden" / "wide.json").write_text(json.dumps({"scores": [4.0], "request": 2}))
    r = run_cli("smoke", str(root), "--format", "json")
    assert r.code == 1, r.out + r.err
    (finding,) = [f for f in r.json()["findings"] if f["severity"] in ("error", "warning")]
    assert finding["rule"] == "RC805" and finding["message"].startswith("case `wide`: "), finding
