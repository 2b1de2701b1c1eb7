import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

public class ClampListTest {

    private ClampList clampList;

    @BeforeEach
    public void setUp() {
        clampList = new ClampList();
    }

    @Test
    public void valuesInsideTheRangeAreUnchanged() {
        assertThat(clampList.clampAll(List.of(3, 4, 5), 1, 10))
                .containsExactly(3, 4, 5);
    }

    @Disabled("Remove to run test")
    @Test
    public void valuesBelowTheRangeAreRaised() {
        assertThat(clampList.clampAll(List.of(-5, 0, 2), 1, 10))
                .containsExactly(1, 1, 2);
    }

    @Disabled("Remove to run test")
    @Test
    public void valuesAboveTheRangeAreLowered() {
        assertThat(clampList.clampAll(List.of(11, 10, 99), 1, 10))
                .containsExactly(10, 10, 10);
    }

    @Disabled("Remove to run test")
    @Test
    public void negativeBounds() {
        assertThat(clampList.clampAll(List.of(-20, -3, 7), -10, -1))
                .containsExactly(-10, -3, -1);
    }

    @Disabled("Remove to run test")
    @Test
    public void rangeOfASingleValue() {
        assertThat(clampList.clampAll(List.of(1, 2, 3), 2, 2))
                .containsExactly(2, 2, 2);
    }

    @Disabled("Remove to run test")
    @Test
    public void lowerBoundAboveUpperBoundIsRejected() {
        assertThatExceptionOfType(IllegalArgumentException.class)
                .isThrownBy(() -> clampList.clampAll(List.of(1), 5, 4))
                .withMessage("lower bound greater than upper bound");
    }

}
