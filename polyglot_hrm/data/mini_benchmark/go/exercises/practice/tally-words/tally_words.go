package tallywords

func Tally(text string) map[string]int {
	panic("Please implement the Tally function")
}
