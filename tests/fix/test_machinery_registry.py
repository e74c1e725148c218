"""Fixability is declared once, on the rule (``@rule(..., fix=...)``): the fixers in the registry and the
declarations are held together here, and each fix lives beside its rule (``fix/<family>.py`` next to
``rules/<family>.py``)."""

from __future__ import annotations

from reprocheck.fix import fix_kinds
from reprocheck.fix.machinery.registry import FIXERS
from reprocheck.model.rule import FixKind
from reprocheck.rules import ALL_RULES, META


def test_every_rule_declared_fixable_has_a_fixer_and_every_fixer_rule_declares_a_fix():
    fixed = {rid for fixer in FIXERS for rid in fixer.rules}
    declared = {rid for rid, meta in META.items() if meta.fix is not FixKind.NONE}
    assert fixed == declared
    assert set(fix_kinds()) == declared


def test_hint_only_rules_declare_no_fix():
    for fixer in FIXERS:
        for rid in fixer.hints:
            assert META[rid].fix is FixKind.NONE, rid


def test_each_fixer_lives_in_the_fix_module_named_like_one_of_its_rules_families():
    family = {r.meta.id: r.check.__module__.rsplit(".", 1)[1] for r in ALL_RULES if r.check is not None}
    for fixer in FIXERS:
        module = fixer.apply.__module__
        assert module.startswith("reprocheck.fix."), module
        here = module.rsplit(".", 1)[1]
        rules = fixer.rules | fixer.hints
        assert here in {family[rid] for rid in rules}, f"{module} fixes {sorted(rules)}"


def test_every_family_module_of_fix_is_in_the_registry_and_is_named_like_a_rules_module():
    from pathlib import Path

    import reprocheck.fix as fix_package
    from reprocheck.fix.machinery.registry import FAMILIES

    here = Path(fix_package.__file__).parent
    modules = {p.stem for p in here.glob("*.py") if p.stem != "__init__"}
    assert modules == {m.__name__.rsplit(".", 1)[1] for m in FAMILIES}
    rules_modules = {p.stem for p in (here.parent / "rules").glob("*.py")}
    assert modules <= rules_modules, modules - rules_modules


def test_the_tests_of_fix_mirror_its_layout():
    """tests/fix/test_<family>[_<topic>].py for each rule family's fixes, test_machinery_*, test_text_* and
    test_lookups_* for the rest: a fix's tests are found by its module's name."""
    from pathlib import Path

    from reprocheck.fix.machinery.registry import FAMILIES

    prefixes = [m.__name__.rsplit(".", 1)[1] for m in FAMILIES] + ["machinery", "text", "lookups"]
    for test in Path(__file__).parent.glob("test_*.py"):
        name = test.stem.removeprefix("test_")
        assert any(name == p or name.startswith(p + "_") for p in prefixes), test.name
