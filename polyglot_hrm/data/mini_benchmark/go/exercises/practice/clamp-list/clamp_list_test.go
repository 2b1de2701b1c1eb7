package clamplist

import (
	"reflect"
	"testing"
)

var testCases = []struct {
	description string
	values      []int
	low         int
	high        int
	expected    []int
	expectError bool
}{
	{
		description: "values inside the range are unchanged",
		values:      []int{3, 4, 5},
		low:         1,
		high:        10,
		expected:    []int{3, 4, 5},
		expectError: false,
	},
	{
		description: "values below the range are raised",
		values:      []int{-5, 0, 2},
		low:         1,
		high:        10,
		expected:    []int{1, 1, 2},
		expectError: false,
	},
	{
		description: "values above the range are lowered",
		values:      []int{11, 10, 99},
		low:         1,
		high:        10,
		expected:    []int{10, 10, 10},
		expectError: false,
	},
	{
		description: "negative bounds",
		values:      []int{-20, -3, 7},
		low:         -10,
		high:        -1,
		expected:    []int{-10, -3, -1},
		expectError: false,
	},
	{
		description: "range of a single value",
		values:      []int{1, 2, 3},
		low:         2,
		high:        2,
		expected:    []int{2, 2, 2},
		expectError: false,
	},
	{
		description: "lower bound above upper bound is rejected",
		values:      []int{1},
		low:         5,
		high:        4,
		expected:    nil,
		expectError: true,
	},
}

func TestClampAll(t *testing.T) {
	for _, tc := range testCases {
		t.Run(tc.description, func(t *testing.T) {
			actual, err := ClampAll(tc.values, tc.low, tc.high)
			switch {
			case tc.expectError:
				if err == nil {
					t.Fatalf("ClampAll(%v, %d, %d) expected an error, got %v", tc.values, tc.low, tc.high, actual)
				}
			case err != nil:
				t.Fatalf("ClampAll(%v, %d, %d) returned unexpected error: %v", tc.values, tc.low, tc.high, err)
			case !reflect.DeepEqual(actual, tc.expected):
				t.Fatalf("ClampAll(%v, %d, %d) = %v, want: %v", tc.values, tc.low, tc.high, actual, tc.expected)
			}
		})
	}
}

func BenchmarkClampAll(b *testing.B) {
	if testing.Short() {
		b.Skip("skipping benchmark in short mode.")
	}
	for i := 0; i < b.N; i++ {
		for _, tc := range testCases {
			ClampAll(tc.values, tc.low, tc.high)
		}
	}
}
