use clamp_list::*;

#[test]
fn values_inside_the_range_are_unchanged() {
    assert_eq!(clamp_all(&[3, 4, 5], 1, 10), Some(vec![3, 4, 5]));
}

#[test]
#[ignore]
fn values_below_the_range_are_raised() {
    assert_eq!(clamp_all(&[-5, 0, 2], 1, 10), Some(vec![1, 1, 2]));
}

#[test]
#[ignore]
fn values_above_the_range_are_lowered() {
    assert_eq!(clamp_all(&[11, 10, 99], 1, 10), Some(vec![10, 10, 10]));
}

#[test]
#[ignore]
fn negative_bounds() {
    assert_eq!(clamp_all(&[-20, -3, 7], -10, -1), Some(vec![-10, -3, -1]));
}

#[test]
#[ignore]
fn range_of_a_single_value() {
    assert_eq!(clamp_all(&[1, 2, 3], 2, 2), Some(vec![2, 2, 2]));
}

#[test]
#[ignore]
fn lower_bound_above_upper_bound_is_rejected() {
    assert_eq!(clamp_all(&[1], 5, 4), None);
}
