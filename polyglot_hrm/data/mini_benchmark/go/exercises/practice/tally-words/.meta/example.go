package tallywords

import "strings"

// Tally counts the words of text, ignoring case.
func Tally(text string) map[string]int {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	counts := map[string]int{}
	for _, word := range words {
		counts[word]++
	}
	return counts
}
