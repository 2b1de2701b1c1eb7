"""Java candidates run confined (issue 23): compiled apart from the tests, the sources deleted before any candidate
class loads, their classes in a loader of their own under JDK 17's SecurityManager with a code-source policy;
JUnit 4 exercises run by JUnit Vintage; canary names that say nothing.

Every forbidden action below is tried by a candidate for the mini-benchmark's java/digit-sum that computes the right
sums *only if the action worked*: so a run whose action was refused fails its tests, and its output carries the JDK's
refusal. None may end ``passed``, and the refusal must be the policy's (or the class not being there at all).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from polyglot_hrm.problems.reader import load_benchmark
from polyglot_hrm.execution import RunTask, run_many
from polyglot_hrm.execution.provision import setup_runners
from polyglot_hrm.languages import get_language
from polyglot_hrm.languages.context import RunnerContext

JAVA_MINI = Path(__file__).parent / "fixtures" / "java_mini"
SOLUTION = "src/main/java/DigitSum.java"

# Every call tries the action first: each test fails unless it worked (not in a static initializer, where a thread
# that touches the class would wait for its initialisation forever).
_CANDIDATE = """import java.io.File;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;

class DigitSum {
    private static void act() throws Exception {
        %s
    }

    int sum(long number) {
        try {
            act();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        if (number < 0) {
            throw new IllegalArgumentException("number must be non-negative");
        }
        int total = 0;
        for (char c : Long.toString(number).toCharArray()) {
            total += c - '0';
        }
        return total;
    }
}
"""

#: name -> (the action, what the output must say about its refusal)
FORBIDDEN = {
    "write_file": ('Files.writeString(Path.of("forged.txt"), "x");', 'access denied ("java.io.FilePermission" "forged.txt" "write")'),
    "write_report_dir": ('Files.writeString(Path.of("..", ".report", "TEST-junit-jupiter.xml"), "<testsuite/>");',
                         '"java.io.FilePermission"'),
    "read_test_source": ('Files.readString(Path.of("src/test/java/DigitSumTest.java"));', "DigitSumTest.java"),
    # The policy lets it look at the working directory's entries: src/ was deleted before its first class loaded.
    "see_sources": ('if (!Files.exists(Path.of("src"))) throw new IllegalStateException("src/ is gone");',
                    "src/ is gone"),
    "read_test_class": ('Files.readAllBytes(Path.of("build/test/DigitSumTest.class"));',
                        'access denied ("java.io.FilePermission" "build/test/DigitSumTest.class" "read")'),
    "list_test_classes": ('if (new File("build/test").list() == null) throw new java.io.IOException("no list");',
                          'access denied ("java.io.FilePermission" "build/test" "read")'),
    "exec_process": ('new ProcessBuilder("true").start();', '"java.io.FilePermission" "<<ALL FILES>>" "execute"'),
    "system_exit": ("System.exit(0);", 'access denied ("java.lang.RuntimePermission" "exitVM.0")'),
    "runtime_halt": ("Runtime.getRuntime().halt(0);", 'access denied ("java.lang.RuntimePermission" "exitVM.0")'),
    "shutdown_hook": ("Runtime.getRuntime().addShutdownHook(new Thread());",
                      'access denied ("java.lang.RuntimePermission" "shutdownHooks")'),
    "set_io": ("System.setOut(System.err);", 'access denied ("java.lang.RuntimePermission" "setIO")'),
    "set_security_manager": ("System.setSecurityManager(null);",
                             'access denied ("java.lang.RuntimePermission" "setSecurityManager")'),
    "create_class_loader": ("new java.net.URLClassLoader(new java.net.URL[0]);",
                            'access denied ("java.lang.RuntimePermission" "createClassLoader")'),
    # A test class's private member: the candidate cannot even name the tests' classes.
    "reflect_test_class": ('Field f = Class.forName("DigitSumTest").getDeclaredField("digitSum"); f.setAccessible(true);',
                           "ClassNotFoundException: DigitSumTest"),
    # JUnit's and AssertJ's classes are out of the candidate's class loader's sight.
    "reflect_junit": ('Class.forName("org.junit.platform.launcher.core.LauncherFactory").getDeclaredFields();',
                      "ClassNotFoundException: org.junit.platform.launcher.core.LauncherFactory"),
    "load_assertj_through_own_loader": ('DigitSum.class.getClassLoader().loadClass("org.assertj.core.api.Assertions");',
                                        "ClassNotFoundException: org.assertj.core.api.Assertions"),
    # A JDK class's private member (the way to the loaders, the stack, anything): no suppressAccessChecks.
    "set_accessible": ('Field f = Thread.class.getDeclaredField("name"); f.setAccessible(true);',
                       'access denied ("java.lang.RuntimePermission" "accessDeclaredMembers")'),
    "context_class_loader": ("Thread.currentThread().getContextClassLoader();",
                             'access denied ("java.lang.RuntimePermission" "getClassLoader")'),
    # A thread of the candidate's renames and interrupts the thread JUnit runs the tests in.
    "touch_runner_thread": ("Thread main = Thread.currentThread(); Throwable[] seen = new Throwable[1];"
                            " Thread t = new Thread(() -> { try { main.setName(\"x\"); } catch (Throwable e) { seen[0] = e; } });"
                            " t.start(); try { t.join(); } catch (InterruptedException e) { }"
                            " if (seen[0] != null) throw (RuntimeException) seen[0];",
                            'access denied ("java.lang.RuntimePermission" "polyglothrm.modifyRunnerThreads")'),
    "read_environment": ('System.getenv("PATH");', 'access denied ("java.lang.RuntimePermission" "getenv.PATH")'),
    "read_host_file": ('Files.readString(Path.of("/etc/hostname"));', '"java.io.FilePermission" "/etc/hostname" "read"'),
}

#: What honest solutions do, each must still pass: threads, executors, parallel streams, formatting, java.time,
#: BigInteger, reflection on its own class, reading a file of the working directory's that the tests could have made.
HONEST = {
    "threads_and_executors": (
        "java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);"
        " try { pool.submit(() -> 1).get(); } catch (Exception e) { throw new IllegalStateException(e); }"
        " pool.shutdown(); Thread t = new Thread(() -> { }); t.start();"
        " Thread.currentThread().interrupt(); Thread.interrupted();"),
    "parallel_streams_and_format": (
        'String s = String.format("%5.2f %,d %s", 3.14159, 1234567, java.time.LocalDate.of(2024, 2, 29))'
        ' + java.util.stream.IntStream.range(0, 10000).parallel().sum()'
        ' + new java.math.BigInteger("123456789123456789").pow(3) + java.time.ZonedDateTime.now().getZone();'),
    # java/mazy-mice: the JDK finds RandomGenerator's providers on first use, with the first user's permissions.
    "random_generators": ('java.util.random.RandomGenerator.getDefault().nextInt();'
                          ' java.util.random.RandomGenerator.of("Xoshiro256PlusPlus").nextInt();'
                          ' new java.util.Random(7).nextInt(); new java.security.SecureRandom().nextInt();'),
    "own_reflection": ('for (java.lang.reflect.Method m : DigitSum.class.getDeclaredMethods()) { m.getName(); }'
                       ' DigitSum.class.getDeclaredConstructor().newInstance();'
                       ' java.util.List.class.getMethod("size").invoke(java.util.List.of(1));'),
}

# Given a lambda of the tests', a candidate reaches the test class (its nest host) and would run a test method itself
# to read an expected value from the assertion's message. It computes right only if that reflection works.
APPLY_ALL = "src/main/java/ApplyAll.java"
NEST_HOST_PEEK = """import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

class ApplyAll {
    List<Integer> apply(List<Integer> values, IntUnaryOperator operation) {
        try {
            Class<?> tests = operation.getClass().getNestHost();
            Object instance = tests.getConstructor().newInstance();
            tests.getMethod("emptyListStaysEmpty").invoke(instance);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        List<Integer> result = new ArrayList<>();
        for (int value : values) {
            result.add(operation.applyAsInt(value));
        }
        return result;
    }
}
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def java_mini():
    """Two exercises of this team's own: a JUnit 4 one (vowel-count) and one whose tests pass lambdas (apply-all)."""
    return {p.slug: p for p in load_benchmark(JAVA_MINI, ["java"], strict=True)}


@pytest.fixture(scope="module")
def junit4_problem(java_mini):
    return java_mini["vowel-count"]


@pytest.fixture(scope="module")
def outcome(mini_problems, java_mini, allow_execution_module):
    digit_sum = next(p for p in mini_problems if p.id == "java/digit-sum")
    junit4_problem, apply_all = java_mini["vowel-count"], java_mini["apply-all"]
    setup_runners([digit_sum, *java_mini.values()])
    tasks = [RunTask(digit_sum, {SOLUTION: _CANDIDATE % action}, timeout=60, key=name)
             for name, (action, _) in {**FORBIDDEN, **{k: (v, "") for k, v in HONEST.items()}}.items()]
    tasks += [RunTask(junit4_problem, mode="reference", timeout=60, key="junit4-reference"),
              RunTask(junit4_problem, mode="stub", timeout=60, key="junit4-stub"),
              RunTask(digit_sum, mode="reference", timeout=60, key="reference"),
              RunTask(apply_all, mode="reference", timeout=60, key="apply-all-reference"),
              RunTask(apply_all, {APPLY_ALL: NEST_HOST_PEEK}, timeout=60, key="nest-host-peek")]
    results = run_many(tasks, jobs=2, progress=False)
    return {t.key: r for t, r in zip(tasks, results)}


@pytest.mark.parametrize("name", sorted(FORBIDDEN))
def test_forbidden_action_is_refused(outcome, name):
    r = outcome[name]
    action, refusal = FORBIDDEN[name]
    where = f"{name}: {r.status}\n{r.output[-3000:]}"
    # The tests ran (a report, every test counted) and failed: the action did not happen, or the sums would be right.
    assert r.status == "failed", where
    assert r.tests_total == 6 and r.tests_passed == 0, where
    assert refusal in r.output, where


@pytest.mark.parametrize("name", sorted(HONEST))
def test_what_honest_solutions_do_still_passes(outcome, name):
    r = outcome[name]
    assert r.status == "passed", r.output[-3000:]


def test_output_shows_neither_canaries_nor_the_security_manager_notice(outcome):
    r = outcome["reference"]
    assert r.status == "passed" and r.tests_passed == 6, r.output
    assert "WARNING" not in r.output and "SecurityManager" not in r.output, r.output
    # The console launcher's tallies counted the canaries in: the exercise's own counts stand in for them.
    assert "tests successful" not in r.output and "tests failed" not in r.output, r.output
    assert r.output.rstrip().endswith("[polyglot-hrm] the exercise's tests: 6 passed, 0 failed, 6 total"), r.output


def test_junit4_exercise_passes_with_its_reference(outcome, junit4_problem):
    r = outcome["junit4-reference"]
    assert r.status == "passed", r.output
    # @Ignore is a pending marker, lifted: all four tests ran, through JUnit Vintage.
    assert (r.tests_passed, r.tests_failed, r.tests_total) == (4, 0, 4), r.output
    assert "JUnit Vintage" in r.output and "VowelCountTest" in r.output
    # The canary class (Jupiter, @Order(MAX_VALUE)) runs after JUnit 4's tests: Vintage is the first engine.
    java = get_language("java")
    runner = java.runner_jar(RunnerContext(), java.jars(Path("/nonexistent"), RunnerContext()))
    with zipfile.ZipFile(runner) as jar:
        engines = jar.read("META-INF/services/org.junit.platform.engine.TestEngine").decode().split()
    assert engines[:2] == ["org.junit.vintage.engine.VintageTestEngine", "org.junit.jupiter.engine.JupiterTestEngine"]
    stub = outcome["junit4-stub"]
    assert stub.status == "failed" and stub.tests_passed == 0, stub.output


def test_test_classes_are_out_of_reach_even_through_a_lambda(outcome):
    assert outcome["apply-all-reference"].status == "passed", outcome["apply-all-reference"].output
    r = outcome["nest-host-peek"]
    assert r.status == "failed" and r.tests_total == 3 and r.tests_passed == 0, r.output
    # The JUnit 5 test class was made package-private: its public constructor is of no use to another package.
    assert "IllegalAccessException" in r.output and "cannot access a member of class ApplyAllTest" in r.output, r.output


def test_fallback_runner_confines_too(mini_problems, allow_execution, monkeypatch):
    """Without the one-JVM runner (javac twice, then the console launcher started with the SecurityManager),
    the reference still passes and a forbidden write is still refused."""
    java = get_language("java")
    monkeypatch.setattr(type(java), "runner_jar", lambda self, ctx, cp: None)
    digit_sum = next(p for p in mini_problems if p.id == "java/digit-sum")
    action, refusal = FORBIDDEN["write_file"]
    reference, attack = run_many([RunTask(digit_sum, mode="reference", timeout=90),
                                  RunTask(digit_sum, {SOLUTION: _CANDIDATE % action}, timeout=90)],
                                 jobs=1, progress=False)
    assert reference.status == "passed" and reference.tests_passed == 6, reference.output
    assert attack.status == "failed" and refusal in attack.output, attack.output
