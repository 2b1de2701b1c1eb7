class DigitSum {

    int sum(long number) {
        if (number < 0) {
            throw new IllegalArgumentException("number must be non-negative");
        }
        int total = 0;
        for (long rest = number; rest > 0; rest /= 10) {
            total += (int) (rest % 10);
        }
        return total;
    }

}
