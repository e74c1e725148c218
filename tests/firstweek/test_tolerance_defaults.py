"""Item 5 of issue 26: the default tolerances are stated where a user reads them, and right for float
predictions across machines. No Docker."""

from __future__ import annotations

import json

from reprocheck.catalogue import load_catalogue
from reprocheck.runtime.scaffold import Detected, smoke_table
from reprocheck.smoke.compare import compare
from reprocheck.smoke.spec import DEFAULT_ATOL, DEFAULT_RTOL, load_spec

SPEC = '[tool.reprocheck.smoke]\ncommand = ["python", "predict.py"]\ngolden = "golden.json"\n'


def _spec(make_project, extra: str = ""):
    root = make_project({"pyproject.toml": SPEC + extra, "Dockerfile": "FROM a\n"})
    return load_spec(None, root)


def _equal(spec, golden: object, actual: object) -> bool:
    return compare(json.dumps(golden).encode(), json.dumps(actual).encode(), "json", spec.tolerance, spec.keys).equal


def test_a_float_differing_in_the_12th_digit_passes_by_default(make_project):
    spec = _spec(make_project)
    assert (spec.tolerance.rtol, spec.tolerance.atol) == (DEFAULT_RTOL, DEFAULT_ATOL) == (1e-6, 1e-8)
    golden = {"probabilities": [0.123456789012345, 0.876543210987655, 1.1e-12]}
    noise = {"probabilities": [0.123456789013345, 0.876543210986655, 3.0e-12]}  # 12th digit; tiny near zero
    assert _equal(spec, golden, noise)
    changed = {"probabilities": [0.123466789012345, 0.876533210987655, 1.1e-12]}  # 5th digit: another model
    assert not _equal(spec, golden, changed)


def test_integers_are_never_given_the_default_tolerance(make_project):
    spec = _spec(make_project)
    assert not _equal(spec, {"id": 1_000_000_000}, {"id": 1_000_000_001})
    assert _equal(spec, {"id": 7}, {"id": 7})
    # a per-key tolerance the project writes does apply to its integers
    keyed = _spec(make_project, 'keys = { "$.id" = { atol = 2 } }\n')
    assert _equal(keyed, {"id": 1_000_000_000}, {"id": 1_000_000_001})


def test_exact_floats_stay_available(make_project):
    spec = _spec(make_project, "rtol = 0\natol = 0\n")
    assert not _equal(spec, {"p": 0.123456789012345}, {"p": 0.123456789013345})


def test_the_template_readme_and_rule_page_state_the_true_defaults():
    from pathlib import Path

    template = smoke_table(Detected("predict.py"))
    assert "# rtol = 1e-6  # default" in template and "# atol = 1e-8  # default" in template
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "rtol = 1e-6" in readme and "atol = 1e-8" in readme and "these are the defaults" in readme
    page = load_catalogue()["RC805"].body
    assert "`rtol = 1e-6`, `atol = 1e-8`" in page and "12th digit" in page
