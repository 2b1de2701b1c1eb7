import java.util.List;
import java.util.stream.Collectors;

class ClampList {

    List<Integer> clampAll(List<Integer> values, int low, int high) {
        if (low > high) {
            throw new IllegalArgumentException("lower bound greater than upper bound");
        }
        return values.stream()
                .map(value -> Math.min(Math.max(value, low), high))
                .collect(Collectors.toList());
    }

}
