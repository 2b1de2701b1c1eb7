package caesarshift

import "strings"

func rotate(r rune, base rune, amount int) rune {
	offset := (int(r-base) + amount%26 + 26) % 26
	return base + rune(offset)
}

// Shift moves every ASCII letter of text amount places through the alphabet.
func Shift(text string, amount int) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return rotate(r, 'a', amount)
		case r >= 'A' && r <= 'Z':
			return rotate(r, 'A', amount)
		}
		return r
	}, text)
}
