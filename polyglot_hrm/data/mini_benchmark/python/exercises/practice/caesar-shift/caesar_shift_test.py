import unittest

from caesar_shift import (
    shift,
)


class CaesarShiftTest(unittest.TestCase):
    def test_shift_by_one(self):
        self.assertEqual(shift("abc", 1), "bcd")

    def test_wraps_around_the_end_of_the_alphabet(self):
        self.assertEqual(shift("xyz", 3), "abc")

    def test_keeps_case_and_leaves_other_characters_alone(self):
        self.assertEqual(shift("Hello, World!", 5), "Mjqqt, Btwqi!")

    def test_negative_shift_moves_backwards(self):
        self.assertEqual(shift("Bad", -1), "Azc")

    def test_shift_larger_than_the_alphabet(self):
        self.assertEqual(shift("Zoo", 27), "App")

    def test_digits_and_spaces_are_unchanged(self):
        self.assertEqual(shift("2 be", 13), "2 or")
