package digitsum

import "errors"

// DigitSum returns the sum of the decimal digits of number.
func DigitSum(number int) (int, error) {
	if number < 0 {
		return 0, errors.New("number must be non-negative")
	}
	total := 0
	for ; number > 0; number /= 10 {
		total += number % 10
	}
	return total, nil
}
