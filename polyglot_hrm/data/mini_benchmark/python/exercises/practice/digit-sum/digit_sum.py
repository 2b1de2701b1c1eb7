def digit_sum(number):
    pass
