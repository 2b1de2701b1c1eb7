import java.util.ArrayDeque;
import java.util.Deque;

class StackCalc {

    int evaluate(String expression) {
        Deque<Integer> stack = new ArrayDeque<>();
        for (String text : expression.trim().split("\\s+")) {
            Token token = Token.parse(text);
            if (token.isNumber()) {
                stack.push(token.value());
                continue;
            }
            if (stack.size() < 2) {
                throw new IllegalArgumentException("not enough operands");
            }
            int b = stack.pop();
            int a = stack.pop();
            stack.push(token.apply(a, b));
        }
        return stack.pop();
    }

}
