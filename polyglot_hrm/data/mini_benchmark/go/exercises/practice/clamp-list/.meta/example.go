package clamplist

import "errors"

// ClampAll forces every value into the range [low, high].
func ClampAll(values []int, low, high int) ([]int, error) {
	if low > high {
		return nil, errors.New("lower bound greater than upper bound")
	}
	result := make([]int, len(values))
	for i, value := range values {
		switch {
		case value < low:
			result[i] = low
		case value > high:
			result[i] = high
		default:
			result[i] = value
		}
	}
	return result, nil
}
