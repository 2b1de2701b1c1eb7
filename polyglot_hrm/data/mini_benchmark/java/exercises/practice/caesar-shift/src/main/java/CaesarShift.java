class CaesarShift {

    String shift(String text, int amount) {
        throw new UnsupportedOperationException("Delete this statement and write your own implementation.");
    }

}
