import unittest

from tally_words import (
    tally,
)


class TallyWordsTest(unittest.TestCase):
    def test_single_word(self):
        self.assertEqual(tally("hello"), {"hello": 1})

    def test_repeated_word(self):
        self.assertEqual(tally("one two one"), {"one": 2, "two": 1})

    def test_counting_ignores_case(self):
        self.assertEqual(tally("Go go GO"), {"go": 3})

    def test_punctuation_separates_words(self):
        self.assertEqual(tally("red, blue; red!"), {"red": 2, "blue": 1})

    def test_any_whitespace_separates_words(self):
        self.assertEqual(tally("  spaced\tout\nlines  "), {"spaced": 1, "out": 1, "lines": 1})

    def test_numbers_count_as_words(self):
        self.assertEqual(tally("route 66 and route 1"), {"route": 2, "66": 1, "and": 1, "1": 1})
