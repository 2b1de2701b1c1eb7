import unittest

from fizz_words import (
    fizz_words,
)


class FizzWordsTest(unittest.TestCase):
    def test_short_words_are_unchanged(self):
        self.assertEqual(fizz_words("hi a"), "hi a")

    def test_three_letter_words_become_fizz(self):
        self.assertEqual(fizz_words("the cat sat"), "fizz fizz fizz")

    def test_five_letter_words_become_buzz(self):
        self.assertEqual(fizz_words("quick brown"), "buzz buzz")

    def test_fifteen_letter_word_becomes_fizzbuzz(self):
        self.assertEqual(fizz_words("uncopyrightable"), "fizzbuzz")

    def test_mixed_sentence(self):
        self.assertEqual(fizz_words("a quick fox jumped over seven lazy dogs"), "a buzz fizz fizz over buzz lazy dogs")

    def test_extra_whitespace_is_collapsed(self):
        self.assertEqual(fizz_words("  one   two  "), "fizz fizz")
