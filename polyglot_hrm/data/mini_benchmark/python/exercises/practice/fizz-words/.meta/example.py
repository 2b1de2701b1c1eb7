def _replace(word):
    size = len(word)
    if size % 15 == 0:
        return "fizzbuzz"
    if size % 3 == 0:
        return "fizz"
    if size % 5 == 0:
        return "buzz"
    return word


def fizz_words(sentence):
    return " ".join(_replace(word) for word in sentence.split())
