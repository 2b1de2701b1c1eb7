fn rotate(c: char, base: u8, amount: i32) -> char {
    let offset = (i32::from(c as u8 - base) + amount).rem_euclid(26) as u8;
    (base + offset) as char
}

/// Moves every ASCII letter of `text` by `amount` places through the alphabet.
pub fn shift(text: &str, amount: i32) -> String {
    text.chars()
        .map(|c| match c {
            'a'..='z' => rotate(c, b'a', amount),
            'A'..='Z' => rotate(c, b'A', amount),
            _ => c,
        })
        .collect()
}
