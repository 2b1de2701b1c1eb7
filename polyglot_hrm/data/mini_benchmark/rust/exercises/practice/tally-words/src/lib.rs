use std::collections::HashMap;

/// Counts the words of `text`, ignoring case.
pub fn tally(text: &str) -> HashMap<String, u32> {
    todo!("count the words of {text:?}")
}
