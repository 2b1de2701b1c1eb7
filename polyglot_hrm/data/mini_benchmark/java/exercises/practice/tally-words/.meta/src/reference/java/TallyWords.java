import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

class TallyWords {

    Map<String, Integer> tally(String text) {
        Map<String, Integer> counts = new HashMap<>();
        for (String word : text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
            if (!word.isEmpty()) {
                counts.merge(word, 1, Integer::sum);
            }
        }
        return counts;
    }

}
