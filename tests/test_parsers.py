"""Each language's parser reads its test tool's own summary (samples written in the tools' formats)."""

from __future__ import annotations

import pytest

from polyglot_hrm.execution.results import TestCounts
from polyglot_hrm.languages import get_language

SAMPLES = {
    "python": [("..F.                                   [100%]\n1 failed, 3 passed in 0.05s\n", TestCounts(3, 1)),
               ("==== 2 passed, 1 error in 0.10s ====", TestCounts(2, 1)),
               ("no summary here", None)],
    "javascript": [("Tests:       2 failed, 5 passed, 7 total\nSnapshots:   0 total\n", TestCounts(5, 2)),
                   ("Tests:       4 passed, 4 total\n", TestCounts(4, 0))],
    "java": [("[         6 tests successful      ]\n[         2 tests failed          ]\n", TestCounts(6, 2))],
    "go": [("=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n    --- PASS: TestB/one (0.00s)\n"
            "    --- FAIL: TestB/two (0.00s)\n--- FAIL: TestB (0.00s)\nFAIL\n", TestCounts(2, 1))],
    "rust": [("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out\n"
              "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n", TestCounts(4, 2))],
    "cpp": [("===============================================================================\n"
             "All tests passed (12 assertions in 5 test cases)\n", TestCounts(5, 0)),
            ("test cases: 5 | 3 passed | 2 failed\nassertions: 9 | 7 passed | 2 failed\n", TestCounts(3, 2)),
            ("test cases: 4 | 4 failed\n", TestCounts(0, 4))],
}


@pytest.mark.parametrize("language,output,expected",
                         [(lang, out, exp) for lang, cases in SAMPLES.items() for out, exp in cases])
def test_parse_counts(language, output, expected):
    assert get_language(language).parse_counts(output) == expected


UNSKIP = {
    "javascript": ("test('a', () => {});\nxtest('b', () => {});\nxit('c', f);\nxdescribe('d', f);\ntest.skip('e', f);\n",
                   "test('a', () => {});\ntest('b', () => {});\nit('c', f);\ndescribe('d', f);\ntest('e', f);\n"),
    "java": ('    @Disabled("Remove to run test")\n    @Test\n    void b() {}\n    @Disabled @Test void c() {}\n',
             "    @Test\n    void b() {}\n    @Test void c() {}\n"),
}


@pytest.mark.parametrize("language", sorted(UNSKIP))
def test_unskip(language):
    before, after = UNSKIP[language]
    assert get_language(language).unskip(before) == after


def test_compile_error_detection():
    assert get_language("go").is_compile_error("FAIL\tbob [build failed]\n", 1, None)
    assert not get_language("go").is_compile_error("--- FAIL: TestX\nFAIL\n", 1, TestCounts(0, 1))
    assert get_language("python").is_compile_error("1 error during collection", 2, None)
    assert get_language("javascript").is_compile_error("Test suite failed to run\nSyntaxError", 1, None)
    assert get_language("rust").is_compile_error("error[E0425]: cannot find\nerror: could not compile", 101, None)
