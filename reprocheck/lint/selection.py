"""Rule selectors: an id (``RC301``), a name (``pip-install-unpinned``), an id prefix (``RC3``, ``ML``) or ``ALL``.
The most specific selector wins; between a select and an ignore of the same specificity, ignore wins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from reprocheck.model._value import valueclass
from reprocheck.model.finding import Severity
from reprocheck.model.rule import RuleMeta

FULL = 1000
FAMILIES = ("RC", "ML")  # id prefixes: RC (the reproducibility rules), ML (what only ML images break on)


def specificity(selector: str, meta: RuleMeta) -> int:
    """How specifically ``selector`` names ``meta`` (-1: it does not)."""
    sel = selector.strip()
    if sel.upper() == "ALL":
        return 0
    if sel.upper() == meta.id or sel == meta.name:
        return FULL
    if meta.id.startswith(sel.upper()) and sel[:2].upper() in FAMILIES:
        return len(sel)
    return -1


def unknown_selectors(selectors: Iterable[str], metas: Iterable[RuleMeta]) -> list[str]:
    metas = list(metas)
    return [s for s in selectors if not any(specificity(s, m) >= 0 for m in metas)]


def _best(selectors: Sequence[str], meta: RuleMeta) -> int:
    return max((specificity(s, meta) for s in selectors), default=-1)


@valueclass(slots=True)
class Selection:
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    severity: Mapping[str, Severity]

    def enabled(self, meta: RuleMeta) -> bool:
        return _best(self.select, meta) > _best(self.ignore, meta)

    def severity_for(self, own: Severity, meta: RuleMeta) -> Severity:
        """A configured severity wins; else the finding's own (a rule may lower a finding it is unsure of)."""
        configured = any(specificity(sel, meta) >= 0 for sel in self.severity)
        return self.severity_of(meta) if configured else own

    def severity_of(self, meta: RuleMeta) -> Severity:
        best, sev = -1, meta.severity
        for sel, s in self.severity.items():
            spec = specificity(sel, meta)
            if spec > best:
                best, sev = spec, s
        return sev
