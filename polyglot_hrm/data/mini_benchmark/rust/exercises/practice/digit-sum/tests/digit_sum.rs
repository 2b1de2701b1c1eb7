use digit_sum::*;

#[test]
fn single_digit() {
    assert_eq!(digit_sum(7), 7);
}

#[test]
#[ignore]
fn several_digits() {
    assert_eq!(digit_sum(123), 6);
}

#[test]
#[ignore]
fn repeated_nines() {
    assert_eq!(digit_sum(9999), 36);
}

#[test]
#[ignore]
fn zeros_inside_the_number() {
    assert_eq!(digit_sum(1000203), 6);
}

#[test]
#[ignore]
fn large_number() {
    assert_eq!(digit_sum(987654321), 45);
}

#[test]
#[ignore]
fn largest_unsigned_64_bit_value() {
    assert_eq!(digit_sum(18446744073709551615), 87);
}
