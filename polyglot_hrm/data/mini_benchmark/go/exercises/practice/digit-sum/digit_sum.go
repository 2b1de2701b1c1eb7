package digitsum

func DigitSum(number int) (int, error) {
	panic("Please implement the DigitSum function")
}
