package caesarshift

import (
	"testing"
)

func TestShift(t *testing.T) {
	for _, tc := range testCases {
		t.Run(tc.description, func(t *testing.T) {
			if actual := Shift(tc.text, tc.amount); actual != tc.expected {
				t.Fatalf("Shift(%q, %d) = %q, want: %q", tc.text, tc.amount, actual, tc.expected)
			}
		})
	}
}

func BenchmarkShift(b *testing.B) {
	if testing.Short() {
		b.Skip("skipping benchmark in short mode.")
	}
	for i := 0; i < b.N; i++ {
		for _, tc := range testCases {
			Shift(tc.text, tc.amount)
		}
	}
}
