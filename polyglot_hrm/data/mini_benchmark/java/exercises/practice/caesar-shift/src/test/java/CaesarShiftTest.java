import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

public class CaesarShiftTest {

    private CaesarShift caesarShift;

    @BeforeEach
    public void setUp() {
        caesarShift = new CaesarShift();
    }

    @Test
    public void shiftByOne() {
        assertThat(caesarShift.shift("abc", 1)).isEqualTo("bcd");
    }

    @Disabled("Remove to run test")
    @Test
    public void wrapsAroundTheEndOfTheAlphabet() {
        assertThat(caesarShift.shift("xyz", 3)).isEqualTo("abc");
    }

    @Disabled("Remove to run test")
    @Test
    public void keepsCaseAndLeavesOtherCharactersAlone() {
        assertThat(caesarShift.shift("Hello, World!", 5)).isEqualTo("Mjqqt, Btwqi!");
    }

    @Disabled("Remove to run test")
    @Test
    public void negativeShiftMovesBackwards() {
        assertThat(caesarShift.shift("Bad", -1)).isEqualTo("Azc");
    }

    @Disabled("Remove to run test")
    @Test
    public void shiftLargerThanTheAlphabet() {
        assertThat(caesarShift.shift("Zoo", 27)).isEqualTo("App");
    }

    @Disabled("Remove to run test")
    @Test
    public void digitsAndSpacesAreUnchanged() {
        assertThat(caesarShift.shift("2 be", 13)).isEqualTo("2 or");
    }

}
