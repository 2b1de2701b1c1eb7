def digit_sum(number):
    if number < 0:
        raise ValueError("number must be non-negative")
    total = 0
    while number:
        number, digit = divmod(number, 10)
        total += digit
    return total
