package fizzwords

func FizzWords(sentence string) string {
	panic("Please implement the FizzWords function")
}
