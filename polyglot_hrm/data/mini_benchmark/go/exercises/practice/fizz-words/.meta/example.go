package fizzwords

import "strings"

func replace(word string) string {
	switch n := len(word); {
	case n%15 == 0:
		return "fizzbuzz"
	case n%3 == 0:
		return "fizz"
	case n%5 == 0:
		return "buzz"
	}
	return word
}

// FizzWords replaces words by fizz, buzz or fizzbuzz depending on their length.
func FizzWords(sentence string) string {
	words := strings.Fields(sentence)
	for i, word := range words {
		words[i] = replace(word)
	}
	return strings.Join(words, " ")
}
