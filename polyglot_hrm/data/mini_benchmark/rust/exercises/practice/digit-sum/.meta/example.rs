/// Returns the sum of the decimal digits of `number`.
pub fn digit_sum(number: u64) -> u32 {
    let mut rest = number;
    let mut total = 0;
    while rest > 0 {
        total += (rest % 10) as u32;
        rest /= 10;
    }
    total
}
