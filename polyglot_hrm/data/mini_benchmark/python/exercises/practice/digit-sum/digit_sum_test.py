import unittest

from digit_sum import (
    digit_sum,
)


class DigitSumTest(unittest.TestCase):
    def test_single_digit(self):
        self.assertEqual(digit_sum(7), 7)

    def test_several_digits(self):
        self.assertEqual(digit_sum(123), 6)

    def test_repeated_nines(self):
        self.assertEqual(digit_sum(9999), 36)

    def test_zeros_inside_the_number(self):
        self.assertEqual(digit_sum(1000203), 6)

    def test_large_number(self):
        self.assertEqual(digit_sum(987654321), 45)

    def test_negative_number_is_rejected(self):
        with self.assertRaises(ValueError) as err:
            digit_sum(-12)
        self.assertEqual(type(err.exception), ValueError)
        self.assertEqual(err.exception.args[0], "number must be non-negative")
