def tally(sentence):
    pass
