"""The GitHub Action (action.yml), run the way the runner runs a composite action: each `run` step in bash with
its `env` expressions evaluated (inputs with their defaults, runner.temp, the outputs of earlier steps), the
Action's checkout as GITHUB_ACTION_PATH, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files; `uses` steps are
checked for their pins and stood in for (setup-python gives this interpreter, upload-sarif gets a real file)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
DIRTY = "FROM python\nRUN pip install numpy\n"


def test_every_action_is_pinned_by_commit():
    uses = [s["uses"] for s in ACTION["runs"]["steps"] if "uses" in s]
    assert uses, "the Action uses setup-python and upload-sarif"
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
    install = next(s for s in ACTION["runs"]["steps"] if "action-install" in s.get("run", ""))
    script = (ROOT / "scripts" / "action-install").read_text()
    assert "--require-hashes" in script and "--no-build-isolation" in script  # nothing unpinned is installed
    assert install["shell"] == "bash"


def _outputs(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


class Runner:
    """Runs action.yml's steps as the GitHub runner does, in a workspace."""

    def __init__(self, tmp: Path, venv_parent: Path) -> None:
        self.tmp = tmp
        self.temp = venv_parent  # runner.temp: the venv is installed once for the module
        self.steps: dict[str, dict[str, str]] = {}

    def _eval(self, text: str, inputs: dict[str, str]) -> str:
        def value(m: re.Match[str]) -> str:
            expr = m.group(1)
            if expr.startswith("inputs."):
                return inputs[expr.removeprefix("inputs.")]
            if expr == "runner.temp":
                return str(self.temp)
            if expr == "github.action_path":
                return str(ROOT)
            m2 = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
            if m2:
                return self.steps.get(m2[1], {}).get(m2[2], "")
            raise AssertionError(f"the test runner does not know `{expr}`")

        return EXPR.sub(value, text)

    def run(self, workspace: Path, given: dict[str, str], only: str | None = None) -> tuple[int, str, str]:
        declared = ACTION["inputs"]
        assert set(given) <= set(declared), set(given) - set(declared)
        inputs = {k: str(v.get("default", "")) for k, v in declared.items()} | given
        output_file, summary = self.tmp / "github_output", self.tmp / "step_summary"
        for f in (output_file, summary):
            f.write_text("")
        code, out = 0, ""
        for step in ACTION["runs"]["steps"]:
            sid = step.get("id", "")
            if "uses" in step:
                if step["uses"].startswith("actions/setup-python@"):
                    self.steps[sid] = {"python-path": sys.executable}
                continue
            if only and only not in step["run"]:
                continue
            env = {k: self._eval(str(v), inputs) for k, v in step.get("env", {}).items()}
            env |= {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "HOME": str(Path.home()),
                "GITHUB_ACTION_PATH": str(ROOT),
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_STEP_SUMMARY": str(summary),
                "RUNNER_TEMP": str(self.temp),
            }
            proc = subprocess.run(
                ["bash", "-e", "-c", self._eval(step["run"], inputs)],
                cwd=workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            self.steps[sid] = _outputs(output_file)
            code, out = proc.returncode, proc.stdout + proc.stderr
            if code != 0:
                break
        # the Action's outputs, as the runner maps them
        outputs = {k: self._eval(v["value"], inputs) for k, v in ACTION["outputs"].items()}
        return code, out, json.dumps({"outputs": outputs, "summary": summary.read_text()})


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    temp = tmp_path_factory.mktemp("runner-temp")
    r = Runner(tmp_path_factory.mktemp("runner"), temp)
    code, out, _ = r.run(temp, {}, only="action-install")
    assert code == 0, out[-3000:]
    assert (temp / "reprocheck-venv" / "bin" / "reprocheck").is_file()
    return r


def _workspace(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: main\n")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_lint_fails_with_annotations_summary_outputs_and_sarif(runner: Runner, tmp_path: Path):
    ws = _workspace(tmp_path, {"svc/Dockerfile": DIRTY})
    code, log, result = runner.run(ws, {"paths": "svc", "formats": "github junit:reports/out.xml"})
    data = json.loads(result)
    assert code == 1, log[-3000:]
    assert "::error file=svc/Dockerfile,line=1" in log  # annotations on the diff
    outputs = data["outputs"]
    assert outputs["verdict"] == "failed" and outputs["exit-code"] == "1"
    assert outputs["sarif-file"] == "reprocheck.sarif"
    sarif = json.loads((ws / "reprocheck.sarif").read_text())  # what upload-sarif would upload
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"RC101", "RC301"}
    assert json.loads(Path(outputs["json-file"]).read_text())["summary"]["verdict"] == "failed"
    assert outputs["reports"].split() == [outputs["json-file"], "reports/out.xml", "reprocheck.sarif"]
    assert (ws / "reports" / "out.xml").read_text().startswith("<?xml")
    assert data["summary"].startswith("## reprocheck: ❌ failed")
    upload = next(s for s in ACTION["runs"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ steps.run.outputs.sarif-file }}"


def test_exit_zero_threshold_and_no_sarif(runner: Runner, tmp_path: Path):
    ws = _workspace(tmp_path, {"Dockerfile": DIRTY})
    code, log, result = runner.run(ws, {"exit-zero": "true", "sarif-file": "", "formats": "concise"})
    outputs = json.loads(result)["outputs"]
    assert code == 0, log[-3000:]
    assert outputs["verdict"] == "failed" and outputs["exit-code"] == "0" and outputs["sarif-file"] == ""
    assert "Dockerfile:2: RC301 " in log and not (ws / "reprocheck.sarif").exists()
    code, log, result = runner.run(ws, {"failure-threshold": "error", "paths": "Dockerfile", "sarif-file": ""})
    assert code == 1 and json.loads(result)["outputs"]["verdict"] == "failed"  # RC101 is an error
    code, log, _ = runner.run(ws, {"command": "deploy"})
    assert code == 2 and "input command must be lint or check" in log
