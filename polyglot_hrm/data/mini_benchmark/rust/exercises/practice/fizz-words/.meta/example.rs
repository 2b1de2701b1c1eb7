fn replace(word: &str) -> &str {
    match word.chars().count() {
        n if n % 15 == 0 => "fizzbuzz",
        n if n % 3 == 0 => "fizz",
        n if n % 5 == 0 => "buzz",
        _ => word,
    }
}

/// Replaces words by fizz, buzz or fizzbuzz depending on their length.
pub fn fizz_words(sentence: &str) -> String {
    sentence
        .split_whitespace()
        .map(replace)
        .collect::<Vec<_>>()
        .join(" ")
}
