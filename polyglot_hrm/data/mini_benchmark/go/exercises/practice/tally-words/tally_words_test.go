package tallywords

import (
	"reflect"
	"testing"
)

var testCases = []struct {
	description string
	input       string
	expected    map[string]int
}{
	{
		description: "single word",
		input:       "hello",
		expected:    map[string]int{"hello": 1},
	},
	{
		description: "repeated word",
		input:       "one two one",
		expected:    map[string]int{"one": 2, "two": 1},
	},
	{
		description: "counting ignores case",
		input:       "Go go GO",
		expected:    map[string]int{"go": 3},
	},
	{
		description: "punctuation separates words",
		input:       "red, blue; red!",
		expected:    map[string]int{"red": 2, "blue": 1},
	},
	{
		description: "any whitespace separates words",
		input:       "  spaced\tout\nlines  ",
		expected:    map[string]int{"spaced": 1, "out": 1, "lines": 1},
	},
	{
		description: "numbers count as words",
		input:       "route 66 and route 1",
		expected:    map[string]int{"route": 2, "66": 1, "and": 1, "1": 1},
	},
}

func TestTally(t *testing.T) {
	for _, tc := range testCases {
		t.Run(tc.description, func(t *testing.T) {
			if actual := Tally(tc.input); !reflect.DeepEqual(actual, tc.expected) {
				t.Fatalf("Tally(%q) = %v, want: %v", tc.input, actual, tc.expected)
			}
		})
	}
}

func BenchmarkTally(b *testing.B) {
	if testing.Short() {
		b.Skip("skipping benchmark in short mode.")
	}
	for i := 0; i < b.N; i++ {
		for _, tc := range testCases {
			Tally(tc.input)
		}
	}
}
