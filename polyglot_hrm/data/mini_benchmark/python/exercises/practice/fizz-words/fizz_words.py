def fizz_words(sentence):
    pass
