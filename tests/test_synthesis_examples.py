"""Mutation operators, function finding, and the example rows built from the mini-benchmark."""

from __future__ import annotations

import os

import pytest

from conftest import ALL_LANGUAGES
from polyglot_hrm.edit_format import apply_blocks, parse_blocks
from polyglot_hrm.languages.lexer import code_mask
from polyglot_hrm.synthesis.examples import (bug_fix_candidate, diff_candidates, diff_edit_row, generation_row, mutant_pool,
                                             solved_files, transfer_pairs, transfer_row)
from polyglot_hrm.synthesis.functions import find_functions, remove_function
from polyglot_hrm.synthesis.mutation import OPERATORS, enumerate_mutants, select_mutants

SNIPPETS = {
    "python": "def f(a, b):\n    # a < b in a comment\n    s = 'x < y'\n    total = 0\n    for i in range(3):\n"
              "        if a < b:\n            total = total + max(a, b)\n    total += 1\n    return total == 2\n",
    "javascript": "export const f = (a, b) => {\n  // a < b\n  let t = 0;\n  for (let i = 0; i < 3; i++) {\n"
                  "    if (a === b) {\n      t = t + Math.max(a, b);\n    }\n    t += 1;\n  }\n  return t > 2;\n};\n",
    "go": "package p\n\nfunc F(a, b int) int {\n\tt := 0\n\tfor i := 0; i < 3; i++ {\n\t\tif a < b {\n"
          "\t\t\tt = t + max(a, b)\n\t\t}\n\t\tt += 1\n\t}\n\treturn t\n}\n",
    "rust": "pub fn f(a: i32, b: i32) -> bool {\n    let mut t = 0;\n    for _ in 0..3 {\n        if a < b {\n"
            "            t = t + a.max(b);\n        }\n        t += 1;\n    }\n    t == 2\n}\n",
    "java": "class F {\n    static int f(int a, int b) {\n        int t = 0;\n        for (int i = 0; i < 3; i++) {\n"
            "            if (a < b) {\n                t = t + Math.max(a, b);\n            }\n            t += 1;\n"
            "        }\n        return t;\n    }\n}\n",
    "cpp": "#include <algorithm>\nint f(int a, int b) {\n    int t = 0;\n    for (int i = 0; i < 3; i++) {\n"
           "        if (a < b) {\n            t = t + std::max(a, b);\n        }\n        t += 1;\n    }\n"
           "    return t;\n}\n",
}


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_mutants_change_code_only_and_are_deterministic(language):
    text = SNIPPETS[language]
    mutants = enumerate_mutants({"f": text}, language)
    assert mutants == enumerate_mutants({"f": text}, language)
    ops = {m.operator for m in mutants}
    assert {"comparison", "arithmetic", "negate_condition", "literal"} <= ops, ops
    mask = code_mask(text, language)
    for m in mutants:
        assert m.mutated != text and m.original == text
        # the first differing character is code, not inside a string or a comment
        i = len(os.path.commonprefix([text, m.mutated]))
        assert m.operator == "delete_statement" or mask[i], (m.operator, m.description)
    assert "'x < y'" in text or language != "python"
    assert all("x <= y" not in m.mutated for m in mutants)


def test_select_mutants_is_seeded_and_balanced():
    mutants = enumerate_mutants({"f": SNIPPETS["python"]}, "python")
    a = select_mutants(mutants, 5, seed=1, key="k")
    assert a == select_mutants(mutants, 5, seed=1, key="k")
    assert len({m.operator for m in a}) == 5
    assert select_mutants(mutants, 8, seed=1, key="k")[:5] == a
    with pytest.raises(ValueError, match="unknown mutation operator"):
        enumerate_mutants({"f": "x"}, "python", operators=["nope"])
    assert set(OPERATORS) >= {m.operator for m in mutants}


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_every_mini_reference_has_mutants_and_functions(mini_problems, language):
    for p in (p for p in mini_problems if p.language == language):
        files = {k: v for k, v in solved_files(p).items() if v}
        assert enumerate_mutants(files, language), p.id
        assert any(find_functions(t, language) for t in files.values()), p.id


def test_remove_function_removes_the_whole_definition():
    text = "import x\n\n\n@dec\ndef a():\n    return 1\n\n\ndef b():\n    return 2\n"
    fa, fb = find_functions(text, "python")
    assert (fa.name, fb.name) == ("a", "b")
    assert remove_function(text, fa) == "import x\n\n\ndef b():\n    return 2\n"


def test_diff_edit_targets_applied_to_inputs_give_the_reference(mini_problems):
    for p in mini_problems:
        cands = diff_candidates(p, seed=0, max_features=3)
        cands += [bug_fix_candidate(p, m) for m in mutant_pool(p, 4, 0)]
        for index, cand in enumerate(cands):
            row = diff_edit_row(cand, index)
            inputs = {f["path"]: f["content"] for f in row["input_files"] if f["role"] == "solution"}
            edited = apply_blocks(inputs, parse_blocks(row["target_edit"]))
            solved = solved_files(p)
            assert {k: edited[k] for k in solved} == solved, row["id"]
            assert row["quality_score"] > 0.5, row["id"]
            assert row["id"].startswith(f"diff_edit/{p.id}/{cand.edit_type}/")


def test_generation_and_transfer_rows_carry_every_file(mini_problems):
    p = next(p for p in mini_problems if p.id == "cpp/clamp-list")
    row = generation_row(p, "easy")
    assert len(row["files"]) == len(p.files)
    targets = {f["path"]: f["content"] for f in row["target_files"]}
    assert targets["clamp_list.cpp"] == ""  # header-only reference: the stub .cpp is emptied
    pairs = transfer_pairs(mini_problems, seed=0, max_per_pair=2)
    assert pairs == transfer_pairs(mini_problems, seed=0, max_per_pair=2)
    counts = {}
    for s, t in pairs:
        assert s.slug == t.slug and s.language != t.language
        counts[(s.language, t.language)] = counts.get((s.language, t.language), 0) + 1
    assert max(counts.values()) == 2 and len(counts) == 30
    row = transfer_row(*pairs[0])
    assert {f["role"] for f in row["input_files"]} >= {"source", "solution"}
    assert row["source_language"] == pairs[0][0].language
