/// Forces every value into `low..=high`; `None` when the range is empty.
pub fn clamp_all(values: &[i64], low: i64, high: i64) -> Option<Vec<i64>> {
    todo!("clamp {values:?} into {low}..={high}")
}
