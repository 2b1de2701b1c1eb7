import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

public class DigitSumTest {

    private DigitSum digitSum;

    @BeforeEach
    public void setUp() {
        digitSum = new DigitSum();
    }

    @Test
    public void singleDigit() {
        assertThat(digitSum.sum(7)).isEqualTo(7);
    }

    @Disabled("Remove to run test")
    @Test
    public void severalDigits() {
        assertThat(digitSum.sum(123)).isEqualTo(6);
    }

    @Disabled("Remove to run test")
    @Test
    public void repeatedNines() {
        assertThat(digitSum.sum(9999)).isEqualTo(36);
    }

    @Disabled("Remove to run test")
    @Test
    public void zerosInsideTheNumber() {
        assertThat(digitSum.sum(1000203)).isEqualTo(6);
    }

    @Disabled("Remove to run test")
    @Test
    public void largeNumber() {
        assertThat(digitSum.sum(987654321)).isEqualTo(45);
    }

    @Disabled("Remove to run test")
    @Test
    public void negativeNumberIsRejected() {
        assertThatExceptionOfType(IllegalArgumentException.class)
                .isThrownBy(() -> digitSum.sum(-12))
                .withMessage("number must be non-negative");
    }

}
