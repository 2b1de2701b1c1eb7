def shift(text, amount):
    pass
