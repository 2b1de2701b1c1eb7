package clamplist

func ClampAll(values []int, low, high int) ([]int, error) {
	panic("Please implement the ClampAll function")
}
