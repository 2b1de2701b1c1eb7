class Token {

    private final String text;
    private final Integer value;

    private Token(String text, Integer value) {
        this.text = text;
        this.value = value;
    }

    static Token parse(String text) {
        if (text.matches("-?\\d+")) {
            return new Token(text, Integer.parseInt(text));
        }
        if (text.equals("+") || text.equals("-") || text.equals("*")) {
            return new Token(text, null);
        }
        throw new IllegalArgumentException("unknown token: " + text);
    }

    boolean isNumber() {
        return value != null;
    }

    int value() {
        return value;
    }

    int apply(int a, int b) {
        switch (text) {
            case "+":
                return a + b;
            case "-":
                return a - b;
            default:
                return a * b;
        }
    }

}
