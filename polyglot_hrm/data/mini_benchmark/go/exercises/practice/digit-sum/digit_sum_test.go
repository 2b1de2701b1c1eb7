package digitsum

import (
	"testing"
)

var testCases = []struct {
	description string
	input       int
	expected    int
	expectError bool
}{
	{
		description: "single digit",
		input:       7,
		expected:    7,
		expectError: false,
	},
	{
		description: "several digits",
		input:       123,
		expected:    6,
		expectError: false,
	},
	{
		description: "repeated nines",
		input:       9999,
		expected:    36,
		expectError: false,
	},
	{
		description: "zeros inside the number",
		input:       1000203,
		expected:    6,
		expectError: false,
	},
	{
		description: "large number",
		input:       987654321,
		expected:    45,
		expectError: false,
	},
	{
		description: "negative number is rejected",
		input:       -12,
		expected:    0,
		expectError: true,
	},
}

func TestDigitSum(t *testing.T) {
	for _, tc := range testCases {
		t.Run(tc.description, func(t *testing.T) {
			actual, err := DigitSum(tc.input)
			switch {
			case tc.expectError:
				if err == nil {
					t.Fatalf("DigitSum(%d) expected an error, got %d", tc.input, actual)
				}
			case err != nil:
				t.Fatalf("DigitSum(%d) returned unexpected error: %v", tc.input, err)
			case actual != tc.expected:
				t.Fatalf("DigitSum(%d) = %d, want: %d", tc.input, actual, tc.expected)
			}
		})
	}
}

func BenchmarkDigitSum(b *testing.B) {
	if testing.Short() {
		b.Skip("skipping benchmark in short mode.")
	}
	for i := 0; i < b.N; i++ {
		for _, tc := range testCases {
			DigitSum(tc.input)
		}
	}
}
