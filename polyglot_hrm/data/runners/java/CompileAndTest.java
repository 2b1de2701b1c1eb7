import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.platform.console.ConsoleLauncher;

/**
 * polyglot-hrm's Java runner: compiles an exercise (main and test sources, with the jars its
 * build.gradle names) and runs its JUnit 5 tests in one JVM, with the same compiler and console
 * launcher the two-JVM way uses, saving one JVM start per run.
 *
 * <p>Usage: {@code CompileAndTest CLASSES_DIR CLASSPATH REPORTS_DIR -- SOURCE...}. Exit code 3 with the
 * line "[polyglot-hrm] compilation failed" when javac fails; otherwise the console launcher's code
 * (0 all passed, 1 some failed, 2 no tests found). The launcher writes its XML report into
 * REPORTS_DIR. The test libraries come before the compiled classes on the class path, so a class of
 * the exercise's can never stand in for one of theirs.
 */
public final class CompileAndTest {
    static final int COMPILE_ERROR = 3;

    public static void main(String[] args) {
        String classes = args[0];
        String classpath = args[1];
        String reports = args[2];
        List<String> sources = Arrays.asList(args).subList(4, args.length);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        // Tests compile against JUnit's API, which this JVM already has on its class path (the console launcher).
        String compileClasspath = classpath + ":" + System.getProperty("java.class.path");
        List<String> options = new ArrayList<>(List.of("-encoding", "UTF-8", "-nowarn", "-proc:none", "-d", classes,
                "-cp", compileClasspath));
        options.addAll(sources);
        int compiled = javac.run(null, System.out, System.out, options.toArray(new String[0]));
        if (compiled != 0) {
            System.out.println("[polyglot-hrm] compilation failed");
            System.out.flush();
            System.exit(COMPILE_ERROR);
        }

        PrintWriter out = new PrintWriter(System.out, true);
        int code = ConsoleLauncher.run(out, out, "execute", "--disable-banner", "--details=tree",
                "--disable-ansi-colors", "--class-path", classpath + ":" + classes,
                "--scan-class-path", classes, "--fail-if-no-tests", "--reports-dir", reports,
                // The canary class (@Order(MAX_VALUE)) runs after the exercise's test classes.
                "--config=junit.jupiter.testclass.order.default=org.junit.jupiter.api.ClassOrderer$OrderAnnotation")
                .getExitCode();
        out.flush();
        System.out.flush();
        System.exit(code);
    }
}
