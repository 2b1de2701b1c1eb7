def clamp_all(values, low, high):
    pass
