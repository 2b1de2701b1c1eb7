use fizz_words::*;

#[test]
fn short_words_are_unchanged() {
    assert_eq!(fizz_words("hi a"), "hi a");
}

#[test]
#[ignore]
fn three_letter_words_become_fizz() {
    assert_eq!(fizz_words("the cat sat"), "fizz fizz fizz");
}

#[test]
#[ignore]
fn five_letter_words_become_buzz() {
    assert_eq!(fizz_words("quick brown"), "buzz buzz");
}

#[test]
#[ignore]
fn fifteen_letter_word_becomes_fizzbuzz() {
    assert_eq!(fizz_words("uncopyrightable"), "fizzbuzz");
}

#[test]
#[ignore]
fn mixed_sentence() {
    assert_eq!(
        fizz_words("a quick fox jumped over seven lazy dogs"),
        "a buzz fizz fizz over buzz lazy dogs"
    );
}

#[test]
#[ignore]
fn extra_whitespace_is_collapsed() {
    assert_eq!(fizz_words("  one   two  "), "fizz fizz");
}
