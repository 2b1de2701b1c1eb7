package caesarshift

// Test cases for the Caesar Shift exercise.

var testCases = []struct {
	description string
	text        string
	amount      int
	expected    string
}{
	{
		description: "shift by one",
		text:        "abc",
		amount:      1,
		expected:    "bcd",
	},
	{
		description: "wraps around the end of the alphabet",
		text:        "xyz",
		amount:      3,
		expected:    "abc",
	},
	{
		description: "keeps case and leaves other characters alone",
		text:        "Hello, World!",
		amount:      5,
		expected:    "Mjqqt, Btwqi!",
	},
	{
		description: "negative shift moves backwards",
		text:        "Bad",
		amount:      -1,
		expected:    "Azc",
	},
	{
		description: "shift larger than the alphabet",
		text:        "Zoo",
		amount:      27,
		expected:    "App",
	},
	{
		description: "digits and spaces are unchanged",
		text:        "2 be",
		amount:      13,
		expected:    "2 or",
	},
}
