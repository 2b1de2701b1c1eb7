/// Returns the sum of the decimal digits of `number`.
pub fn digit_sum(number: u64) -> u32 {
    todo!("add up the decimal digits of {number}")
}
