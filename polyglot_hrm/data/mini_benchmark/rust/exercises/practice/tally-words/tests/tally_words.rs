use std::collections::HashMap;

use tally_words::*;

fn counts(pairs: &[(&str, u32)]) -> HashMap<String, u32> {
    pairs
        .iter()
        .map(|&(word, n)| (word.to_string(), n))
        .collect()
}

#[test]
fn single_word() {
    let expected = counts(&[("hello", 1)]);
    assert_eq!(tally("hello"), expected);
}

#[test]
#[ignore]
fn repeated_word() {
    let expected = counts(&[("one", 2), ("two", 1)]);
    assert_eq!(tally("one two one"), expected);
}

#[test]
#[ignore]
fn counting_ignores_case() {
    let expected = counts(&[("go", 3)]);
    assert_eq!(tally("Go go GO"), expected);
}

#[test]
#[ignore]
fn punctuation_separates_words() {
    let expected = counts(&[("red", 2), ("blue", 1)]);
    assert_eq!(tally("red, blue; red!"), expected);
}

#[test]
#[ignore]
fn any_whitespace_separates_words() {
    let expected = counts(&[("spaced", 1), ("out", 1), ("lines", 1)]);
    assert_eq!(tally("  spaced\tout\nlines  "), expected);
}

#[test]
#[ignore]
fn numbers_count_as_words() {
    let expected = counts(&[("route", 2), ("66", 1), ("and", 1), ("1", 1)]);
    assert_eq!(tally("route 66 and route 1"), expected);
}
