"""Forgery attacks never end ``passed`` (issue 13): every attack of ``fixtures/forgery.py``, in all six languages.

Each attack is a wrong solution plus whatever it needs to make the runner say ``passed`` anyway: files
the test tool loads by itself, a patched test framework, a printed summary and an early exit, fewer
tests run, a test file overwritten through a non-canonical path or an editor file, a module that
shadows a tool or library, tests of its own. Before the runners were hardened, 55 of them came out
``passed`` (``FORGED_TODAY``). The whole catalogue runs once, on the pool, with the references of
the same problems after it; ``python benchmarks/hostile.py --forgery`` prints the same as a table.
"""

from __future__ import annotations

from collections import Counter

import pytest

from fixtures.forgery import ATTACKS, FORGED_TODAY, KINDS, LANGUAGES
from polyglot_hrm.execution import RunTask, run_many

pytestmark = pytest.mark.slow

TIMEOUT = {"python": 20, "javascript": 20, "go": 30, "java": 40, "rust": 60, "cpp": 120}
# Kinds that cannot apply to a language (no way to express them there), see fixtures/forgery.py.
NOT_APPLICABLE = {("go", "shadow_module"), ("rust", "shadow_module")}


@pytest.fixture(scope="module")
def outcome(mini_problems, allow_execution_module):
    problems = {(p.language, p.slug): p for p in mini_problems}
    tasks = [RunTask(problems[(a.language, a.slug)], a.files, timeout=TIMEOUT[a.language], key=a.key) for a in ATTACKS]
    targets = sorted({(a.language, a.slug) for a in ATTACKS})
    tasks += [RunTask(problems[t], mode="reference", key=("reference", *t)) for t in targets]
    results = run_many(tasks, jobs=2, progress=False)
    return {t.key: r for t, r in zip(tasks, results)}


def test_catalogue_covers_every_kind_in_every_language():
    per_language = Counter(a.language for a in ATTACKS)
    assert all(per_language[lang] >= 5 for lang in LANGUAGES), per_language
    kinds = {(a.language, a.kind) for a in ATTACKS}
    missing = [(lang, k) for lang in LANGUAGES for k in KINDS if (lang, k) not in kinds and (lang, k) not in NOT_APPLICABLE]
    assert not missing, missing
    # Most of them forged a pass before the hardening: the catalogue tests real holes.
    assert sum(status == "passed" for status in FORGED_TODAY.values()) >= 50


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: f"{a.language}-{a.name}")
def test_attack_does_not_pass(outcome, attack):
    r = outcome[attack.key]
    assert r.status != "passed", f"{attack.language}/{attack.name} forged a pass: {attack.description}\n{r.output[-3000:]}"
    assert r.tests_passed < r.tests_total or r.tests_total == 0, r
    # Files it sent outside where solutions live were left out, and said so.
    for item in r.ignored_files:
        assert item["path"].split(" (= ")[0] in attack.files and item["reason"], item


@pytest.mark.parametrize("target", sorted({(a.language, a.slug) for a in ATTACKS}), ids="/".join)
def test_references_of_the_attacked_problems_still_pass(outcome, mini_problems, target):
    r = outcome[("reference", *target)]
    expected = next(p for p in mini_problems if (p.language, p.slug) == target).metadata.test_case_count
    assert r.status == "passed", r.output
    assert r.tests_total == expected and r.tests_passed == expected


def test_tampering_is_named_in_the_result(outcome):
    """A patched framework is caught by the canaries, and the result says so."""
    for key in [("python", "patch_assert_equal"), ("javascript", "patch_global_expect"),
                ("cpp", "header_redefines_require")]:
        r = outcome[key]
        assert r.status == "error" and "must fail but passed" in r.output, (key, r.output[-1500:])
    # Java's candidate code compiles without the test libraries (issue 23): the patch cannot even name AssertJ.
    r = outcome[("java", "patch_assertj_comparison")]
    assert r.status == "compile_error" and "org.assertj.core.internal does not exist" in r.output, r.output[-1500:]
