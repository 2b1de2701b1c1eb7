package fizzwords

import (
	"testing"
)

var testCases = []struct {
	description string
	input       string
	expected    string
}{
	{
		description: "short words are unchanged",
		input:       "hi a",
		expected:    "hi a",
	},
	{
		description: "three letter words become fizz",
		input:       "the cat sat",
		expected:    "fizz fizz fizz",
	},
	{
		description: "five letter words become buzz",
		input:       "quick brown",
		expected:    "buzz buzz",
	},
	{
		description: "fifteen letter word becomes fizzbuzz",
		input:       "uncopyrightable",
		expected:    "fizzbuzz",
	},
	{
		description: "mixed sentence",
		input:       "a quick fox jumped over seven lazy dogs",
		expected:    "a buzz fizz fizz over buzz lazy dogs",
	},
	{
		description: "extra whitespace is collapsed",
		input:       "  one   two  ",
		expected:    "fizz fizz",
	},
}

func TestFizzWords(t *testing.T) {
	for _, tc := range testCases {
		t.Run(tc.description, func(t *testing.T) {
			if actual := FizzWords(tc.input); actual != tc.expected {
				t.Fatalf("FizzWords(%q) = %q, want: %q", tc.input, actual, tc.expected)
			}
		})
	}
}

func BenchmarkFizzWords(b *testing.B) {
	if testing.Short() {
		b.Skip("skipping benchmark in short mode.")
	}
	for i := 0; i < b.N; i++ {
		for _, tc := range testCases {
			FizzWords(tc.input)
		}
	}
}
