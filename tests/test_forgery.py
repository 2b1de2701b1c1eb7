"""Forgery attacks never end ``passed`` (issues 13 and 23): every attack of ``fixtures/forgery.py``, in all six languages.

Each attack is a wrong solution plus whatever it needs to make the runner say ``passed`` anyway. Issue 13's:
files the test tool loads by itself, a patched test framework, a printed summary and an early exit, fewer
tests run, a test file overwritten through a non-canonical path or an editor file, a module that shadows a
tool or library, tests of its own; before the runners were hardened, 55 of them came out ``passed``
(``FORGED_TODAY``). Issue 23's are written against these runners by someone who has read them: report
writers, re-runs that rewrite the report, drivers of the language's own test framework, exit handlers,
test peeking, Jest's ``test.js`` injection; every one of them came out ``passed`` with the full count at
commit 3957aa1 (``FORGED_BEFORE_ISSUE_23``). The whole catalogue runs once, on the pool, with the
references of the same problems after it; ``python benchmarks/hostile.py --forgery`` prints the same as a
table.
"""

from __future__ import annotations

from collections import Counter

import pytest

from fixtures.forgery import ATTACKS, FORGED_BEFORE_ISSUE_23, FORGED_TODAY, ISSUE_23_KINDS, KINDS, LANGUAGES, TARGETS

pytestmark = pytest.mark.slow

# Kinds that cannot apply to a language (no way to express them there), see fixtures/forgery.py: Go and Rust
# load no module by name that a new file could shadow; Go's os.Exit runs no exit handlers.
NOT_APPLICABLE = {("go", "shadow_module"), ("rust", "shadow_module"), ("go", "exit_handler")}
#: Issue 23's attacks: those the catalogue of issue 13 did not have.
ISSUE_23 = [a for a in ATTACKS if a.key not in FORGED_TODAY]
#: Candidate files Jest's default testMatch would collect (issue 23, item 4): dropped, and listed in ignored_files.
JEST_INJECTED = {"test_js_injection": "test.js", "spec_js_injection": "spec.js", "testtest_js_injection": "x.testtest.js"}


@pytest.fixture(scope="module")
def outcome(forgery_catalogue):
    """The whole catalogue's results by attack key, run once per session (conftest: test_rewards reuses the runs)."""
    return forgery_catalogue.results


def test_catalogue_covers_every_kind_in_every_language():
    per_language = Counter(a.language for a in ATTACKS)
    assert all(per_language[lang] >= 5 for lang in LANGUAGES), per_language
    kinds = {(a.language, a.kind) for a in ATTACKS}
    missing = [(lang, k) for lang in LANGUAGES for k in KINDS if (lang, k) not in kinds and (lang, k) not in NOT_APPLICABLE]
    assert not missing, missing
    # Most of them forged a pass before the hardening: the catalogue tests real holes.
    assert sum(status == "passed" for status in FORGED_TODAY.values()) >= 50
    assert set(FORGED_BEFORE_ISSUE_23) == {a.key for a in ATTACKS}


def test_issue_23_attacks_forged_a_pass_before_it_in_every_language():
    """Issue 23's catalogue is real: at 3957aa1 each of its attacks forged ``passed`` (at least four kinds per
    language), so that its coming out not ``passed`` now is the hardening's doing."""
    assert {a.kind for a in ISSUE_23} >= set(ISSUE_23_KINDS)
    for lang in LANGUAGES:
        mine = [a for a in ISSUE_23 if a.language == lang]
        forged = {a.kind for a in mine if FORGED_BEFORE_ISSUE_23[a.key] == "passed"}
        assert forged >= {"report_writer", "rerun_rewrite", "framework_driver", "test_peeking"}, (lang, forged)
        assert len(mine) >= 5, (lang, len(mine))


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: f"{a.language}-{a.name}")
def test_attack_does_not_pass(outcome, attack):
    r = outcome[attack.key]
    assert r.status != "passed", f"{attack.language}/{attack.name} forged a pass: {attack.description}\n{r.output[-3000:]}"
    assert r.tests_passed < r.tests_total or r.tests_total == 0, r
    # Files it sent outside where solutions live were left out, and said so.
    for item in r.ignored_files:
        assert item["path"].split(" (= ")[0] in attack.files and item["reason"], item


@pytest.mark.parametrize("name", sorted(JEST_INJECTED))
def test_jest_would_collect_no_candidate_file(outcome, name):
    """A candidate file that Jest's resolved testMatch would collect is dropped, and listed with the reason."""
    r = outcome[("javascript", name)]
    assert JEST_INJECTED[name] in [item["path"] for item in r.ignored_files], r.ignored_files


@pytest.mark.parametrize("target", TARGETS, ids="/".join)
def test_references_of_the_attacked_problems_still_pass(outcome, mini_problems, target):
    r = outcome[("reference", *target)]
    expected = next(p for p in mini_problems if (p.language, p.slug) == target).metadata.test_case_count
    assert r.status == "passed", r.output
    assert r.tests_total == expected and r.tests_passed == expected


def test_tampering_is_named_in_the_result(outcome):
    """A patched framework is caught by the canaries, and the result says so."""
    r = outcome[("cpp", "header_redefines_require")]
    assert r.status == "error" and "must fail but passed" in r.output, r.output[-1500:]
    # Python and JavaScript (issue 23): the patch lands in the candidate's own process, never in the tests' one,
    # whose assertions then fail as the unpatched framework makes them.
    for key in [("python", "patch_assert_equal"), ("javascript", "patch_global_expect")]:
        r = outcome[key]
        assert r.status == "failed" and r.tests_failed > 0 and "must fail but passed" not in r.output, \
            (key, r.output[-1500:])
    # Java's candidate code compiles without the test libraries (issue 23): the patch cannot even name AssertJ.
    r = outcome[("java", "patch_assertj_comparison")]
    assert r.status == "compile_error" and "org.assertj.core.internal does not exist" in r.output, r.output[-1500:]
