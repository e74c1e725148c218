"""Every difference of a rebuild as JSON (``--details FILE``): what the findings summarise."""

from __future__ import annotations

import json
from typing import Any

from reprocheck.rebuild.explain import CAUSES
from reprocheck.rebuild.runner import RebuildOutcome


def as_dict(outcome: RebuildOutcome) -> dict[str, Any]:
    same, total = outcome.layers
    tree = outcome.tree
    return {
        "version": 1,
        "identical": outcome.identical,
        "layers": {"identical": same, "total": total},
        "config": [{"key": d.key, "first": d.before, "second": d.after} for d in outcome.config],
        "files": None
        if tree is None
        else {"first": tree.files_a, "second": tree.files_b, "bytes": tree.bytes_b, "differing": len(tree.changes)},
        "allowed": outcome.allowed,
        "groups": [
            {
                "cause": g.cause,
                "rule": CAUSES[g.cause].rule.id,
                "line": g.origin.line if g.origin else None,
                "instruction": g.origin.text if g.origin else None,
                "layer": g.origin.layer + 1 if g.origin else None,
                "files": [
                    {"path": c.path, "change": c.change, "first": c.before, "second": c.after, "also": list(c.also)}
                    for c in g.changes
                ],
            }
            for g in outcome.groups
        ],
        "seconds": {k: round(v, 3) for k, v in (outcome.seconds or {}).items()},
        "notes": list(outcome.notes),
    }


def render(outcome: RebuildOutcome) -> str:
    return json.dumps(as_dict(outcome), indent=2) + "\n"
