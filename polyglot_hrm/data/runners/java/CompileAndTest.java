package polyglothrm.runner;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.platform.console.ConsoleLauncher;

/**
 * polyglot-hrm's Java runner: compiles an exercise and runs its JUnit tests in one JVM, with the
 * candidate's code confined. In order, and before any class of the candidate's is loaded:
 *
 * <ol>
 *   <li>compile the main sources (the candidate's) into {@code build/main} against the JDK and the
 *       exercise's {@code implementation} jars only, as Gradle does: main code cannot name a test class;
 *   <li>compile the test sources (the exercise's tests and this run's canaries) into {@code build/test}
 *       against the test libraries (this JVM's class path) and {@code build/main};
 *   <li>delete {@code src/}: nothing that runs later can read the tests' or canaries' sources;
 *   <li>widen the candidate's package-private access to public, so the tests keep their access when the
 *       candidate's classes live in a loader of their own, and make the JUnit 5 test classes package-private,
 *       out of the candidate's reach ({@link ClassAccess});
 *   <li>install the SecurityManager and the code-source policy ({@link Confinement});
 *   <li>run the JUnit console launcher on {@code build/test}, its tests loaded by a loader that finds
 *       the candidate's classes through the candidate's own loader, which sees only the JDK and the
 *       {@code implementation} jars (never the tests, JUnit or AssertJ).
 * </ol>
 *
 * <p>javac runs in this JVM with annotation processing off: it reads sources and class files as data and
 * runs none of the code it compiles (constant folding evaluates literals, not methods). The test libraries
 * are on this JVM's own class path, loaded by the application class loader before any test class.
 *
 * <p>Usage: {@code CompileAndTest --workspace DIR --policy FILE --libraries DIR --reports DIR
 * [--implementation CLASSPATH] --main SOURCE... --test SOURCE...}. Exit code 3 with the line
 * "[polyglot-hrm] compilation failed" when javac fails, 4 when the JVM cannot confine candidate code (no
 * SecurityManager: JDK 24 or later), otherwise the console launcher's (0 all passed, 1 some failed, 2 no
 * tests found). The launcher writes its XML reports (one per test engine) into the reports folder.
 */
public final class CompileAndTest {
    static final int COMPILE_ERROR = 3;
    static final int UNCONFINED = 4;
    /** The canary class (@Order(MAX_VALUE)) runs after the exercise's test classes. */
    static final String CLASS_ORDER =
            "--config=junit.jupiter.testclass.order.default=org.junit.jupiter.api.ClassOrderer$OrderAnnotation";

    private CompileAndTest() {
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Path mainClasses = o.workspace.resolve("build/main");
        Path testClasses = o.workspace.resolve("build/test");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String testClasspath = String.join(":", System.getProperty("java.class.path"), mainClasses.toString(),
                o.implementation);
        if (!compile(javac, o.mainSources, mainClasses, o.implementation)
                || !compile(javac, o.testSources, testClasses, testClasspath)) {
            System.out.println("[polyglot-hrm] compilation failed");
            System.out.flush();
            System.exit(COMPILE_ERROR);
        }
        deleteTree(o.workspace.resolve("src"));
        ClassAccess.widenAll(mainClasses);
        ClassAccess.narrowAll(testClasses);

        ClassLoader candidate = new URLClassLoader("candidate", candidateUrls(mainClasses, o.implementation),
                ClassLoader.getPlatformClassLoader());
        ClassLoader tests = new TestClassLoader(new URL[] {url(testClasses)},
                CompileAndTest.class.getClassLoader(), candidate);
        try {
            Confinement.install(o.policy, testClasses.toUri(), mainClasses.toUri(), o.libraries.toUri());
        } catch (UnsupportedOperationException | SecurityException e) {
            System.out.println("[polyglot-hrm] cannot confine candidate code: " + e.getMessage()
                    + " (Java " + Runtime.version().feature() + " has no SecurityManager; Java runs need JDK 17 to 23)");
            System.out.flush();
            System.exit(UNCONFINED);
        }
        Thread.currentThread().setContextClassLoader(tests);

        PrintWriter out = new PrintWriter(System.out, true);
        int code = ConsoleLauncher.run(out, out, "execute", "--disable-banner", "--details=tree",
                "--disable-ansi-colors", "--scan-class-path", testClasses.toString(), "--fail-if-no-tests",
                "--reports-dir", o.reports.toString(), CLASS_ORDER).getExitCode();
        out.flush();
        System.out.flush();
        System.exit(code);
    }

    private static boolean compile(JavaCompiler javac, List<String> sources, Path out, String classpath)
            throws IOException {
        Files.createDirectories(out);
        if (sources.isEmpty()) {
            return true;
        }
        // -implicit:none and an empty source path: javac compiles exactly the sources given, finding no
        // other source file (a test's, say) to compile along with them.
        List<String> options = new ArrayList<>(List.of("-encoding", "UTF-8", "-nowarn", "-proc:none",
                "-implicit:none", "-sourcepath", "", "-d", out.toString(), "-cp", classpath));
        options.addAll(sources);
        return javac.run(null, System.out, System.out, options.toArray(new String[0])) == 0;
    }

    /** Removes {@code root} and everything below it; links are removed, never followed. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static URL[] candidateUrls(Path classes, String implementation) throws MalformedURLException {
        List<URL> urls = new ArrayList<>(List.of(url(classes)));
        for (String jar : implementation.split(":")) {
            if (!jar.isEmpty()) {
                urls.add(url(Paths.get(jar)));
            }
        }
        return urls.toArray(new URL[0]);
    }

    private static URL url(Path path) throws MalformedURLException {
        return path.toUri().toURL();
    }

    /**
     * Loads the test classes (and this run's canaries) from their folder; what it cannot find there or in
     * its parent (the JDK, JUnit, the test libraries) it asks the candidate's loader for. The candidate's
     * loader never asks this one: candidate code cannot resolve a test class.
     */
    static final class TestClassLoader extends URLClassLoader {
        static {
            registerAsParallelCapable();
        }

        private final ClassLoader candidate;

        TestClassLoader(URL[] urls, ClassLoader parent, ClassLoader candidate) {
            super("tests", urls, parent);
            this.candidate = candidate;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            try {
                return super.findClass(name);
            } catch (ClassNotFoundException e) {
                return candidate.loadClass(name);
            }
        }

        @Override
        public URL findResource(String name) {
            URL own = super.findResource(name);
            return own != null ? own : candidate.getResource(name);
        }
    }

    /** The command line. */
    static final class Options {
        Path workspace;
        Path policy;
        Path libraries;
        Path reports;
        String implementation = "";
        final List<String> mainSources = new ArrayList<>();
        final List<String> testSources = new ArrayList<>();

        static Options parse(String[] args) {
            Options o = new Options();
            List<String> sources = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--workspace": o.workspace = Paths.get(args[++i]).toAbsolutePath(); break;
                    case "--policy": o.policy = Paths.get(args[++i]).toAbsolutePath(); break;
                    case "--libraries": o.libraries = Paths.get(args[++i]).toAbsolutePath(); break;
                    case "--reports": o.reports = Paths.get(args[++i]).toAbsolutePath(); break;
                    case "--implementation": o.implementation = args[++i]; break;
                    case "--main": sources = o.mainSources; break;
                    case "--test": sources = o.testSources; break;
                    default:
                        if (sources == null) {
                            throw new IllegalArgumentException("unexpected argument " + args[i]);
                        }
                        sources.add(args[i]);
                }
            }
            if (o.workspace == null || o.policy == null || o.libraries == null || o.reports == null) {
                throw new IllegalArgumentException(
                        "usage: CompileAndTest --workspace DIR --policy FILE --libraries DIR --reports DIR "
                        + "[--implementation CLASSPATH] --main SOURCE... --test SOURCE...");
            }
            return o;
        }
    }
}
