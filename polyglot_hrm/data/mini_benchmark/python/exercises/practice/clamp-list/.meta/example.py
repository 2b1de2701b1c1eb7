def clamp_all(values, low, high):
    if low > high:
        raise ValueError("lower bound greater than upper bound")
    return [min(max(value, low), high) for value in values]
