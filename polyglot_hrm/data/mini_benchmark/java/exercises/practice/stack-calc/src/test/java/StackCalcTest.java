import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

public class StackCalcTest {

    private StackCalc stackCalc;

    @BeforeEach
    public void setUp() {
        stackCalc = new StackCalc();
    }

    @Test
    public void addition() {
        assertThat(stackCalc.evaluate("1 2 +")).isEqualTo(3);
    }

    @Disabled("Remove to run test")
    @Test
    public void subtractionKeepsOperandOrder() {
        assertThat(stackCalc.evaluate("10 4 -")).isEqualTo(6);
    }

    @Disabled("Remove to run test")
    @Test
    public void longerExpression() {
        assertThat(stackCalc.evaluate("5 1 2 + 4 * + 3 -")).isEqualTo(14);
    }

    @Disabled("Remove to run test")
    @Test
    public void negativeNumbers() {
        assertThat(stackCalc.evaluate("-3 4 *")).isEqualTo(-12);
    }

    @Disabled("Remove to run test")
    @Test
    public void notEnoughOperands() {
        assertThatExceptionOfType(IllegalArgumentException.class)
                .isThrownBy(() -> stackCalc.evaluate("1 +"))
                .withMessage("not enough operands");
    }

    @Disabled("Remove to run test")
    @Test
    public void unknownToken() {
        assertThatExceptionOfType(IllegalArgumentException.class)
                .isThrownBy(() -> stackCalc.evaluate("2 x"))
                .withMessage("unknown token: x");
    }

}
