package caesarshift

func Shift(text string, amount int) string {
	panic("Please implement the Shift function")
}
