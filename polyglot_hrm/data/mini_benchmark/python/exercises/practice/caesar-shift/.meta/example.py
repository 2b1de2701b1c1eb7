def _rotate(char, base, amount):
    return chr((ord(char) - ord(base) + amount) % 26 + ord(base))


def shift(text, amount):
    result = []
    for char in text:
        if "a" <= char <= "z":
            result.append(_rotate(char, "a", amount))
        elif "A" <= char <= "Z":
            result.append(_rotate(char, "A", amount))
        else:
            result.append(char)
    return "".join(result)
