import unittest

from clamp_list import (
    clamp_all,
)


class ClampListTest(unittest.TestCase):
    def test_values_inside_the_range_are_unchanged(self):
        self.assertEqual(clamp_all([3, 4, 5], 1, 10), [3, 4, 5])

    def test_values_below_the_range_are_raised(self):
        self.assertEqual(clamp_all([-5, 0, 2], 1, 10), [1, 1, 2])

    def test_values_above_the_range_are_lowered(self):
        self.assertEqual(clamp_all([11, 10, 99], 1, 10), [10, 10, 10])

    def test_negative_bounds(self):
        self.assertEqual(clamp_all([-20, -3, 7], -10, -1), [-10, -3, -1])

    def test_range_of_a_single_value(self):
        self.assertEqual(clamp_all([1, 2, 3], 2, 2), [2, 2, 2])

    def test_lower_bound_above_upper_bound_is_rejected(self):
        with self.assertRaises(ValueError) as err:
            clamp_all([1], 5, 4)
        self.assertEqual(type(err.exception), ValueError)
        self.assertEqual(err.exception.args[0], "lower bound greater than upper bound")
