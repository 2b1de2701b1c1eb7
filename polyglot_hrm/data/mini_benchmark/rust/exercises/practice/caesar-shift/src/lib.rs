/// Moves every ASCII letter of `text` by `amount` places through the alphabet.
pub fn shift(text: &str, amount: i32) -> String {
    todo!("shift the letters of {text:?} by {amount}")
}
