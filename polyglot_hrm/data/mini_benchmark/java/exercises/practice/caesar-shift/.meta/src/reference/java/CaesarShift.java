class CaesarShift {

    String shift(String text, int amount) {
        StringBuilder result = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c >= 'a' && c <= 'z') {
                result.append(rotate(c, 'a', amount));
            } else if (c >= 'A' && c <= 'Z') {
                result.append(rotate(c, 'A', amount));
            } else {
                result.append(c);
            }
        }
        return result.toString();
    }

    private static char rotate(char c, char base, int amount) {
        return (char) (base + Math.floorMod(c - base + amount, 26));
    }

}
