use caesar_shift::*;

#[test]
fn shift_by_one() {
    assert_eq!(shift("abc", 1), "bcd");
}

#[test]
#[ignore]
fn wraps_around_the_end_of_the_alphabet() {
    assert_eq!(shift("xyz", 3), "abc");
}

#[test]
#[ignore]
fn keeps_case_and_leaves_other_characters_alone() {
    assert_eq!(shift("Hello, World!", 5), "Mjqqt, Btwqi!");
}

#[test]
#[ignore]
fn negative_shift_moves_backwards() {
    assert_eq!(shift("Bad", -1), "Azc");
}

#[test]
#[ignore]
fn shift_larger_than_the_alphabet() {
    assert_eq!(shift("Zoo", 27), "App");
}

#[test]
#[ignore]
fn digits_and_spaces_are_unchanged() {
    assert_eq!(shift("2 be", 13), "2 or");
}
