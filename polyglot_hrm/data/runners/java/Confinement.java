package polyglothrm.runner;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.security.Permission;
import java.security.Policy;
import java.security.Security;
import java.security.URIParameter;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Puts candidate code under JDK 17's SecurityManager with polyglot-hrm's code-source policy
 * ({@code candidate.policy}): the runner, the test libraries and the exercise's tests keep every
 * permission; the candidate's classes get only what honest solutions use. Stack inspection makes a
 * candidate frame anywhere on a thread's stack (or in the context a thread inherited at creation)
 * withdraw every permission it lacks, whatever trusted code it calls.
 */
final class Confinement {
    /** Packages candidate code may not load or reflect on: the test libraries' and this runner's. */
    static final String RESERVED_PACKAGES = "org.junit.,junit.,org.assertj.,org.opentest4j.,org.apiguardian.,"
            + "net.bytebuddy.,org.hamcrest.,polyglothrm.";

    private Confinement() {
    }

    /**
     * Installs the policy and the SecurityManager. {@code tests}, {@code candidate} and {@code libraries}
     * are the code-source URLs (ending in "/") that the policy file names as ${polyglot.tests}, ...
     */
    static void install(Path policyFile, URI tests, URI candidate, URI libraries) throws Exception {
        System.setProperty("polyglot.tests", tests.toString());
        System.setProperty("polyglot.candidate", candidate.toString());
        System.setProperty("polyglot.libraries", libraries.toString());
        Policy.setPolicy(Policy.getInstance("JavaPolicy", new URIParameter(policyFile.toUri())));
        // A class of these packages reached from candidate code (by name, or by reflection on a Class object
        // it came by) needs accessClassInPackage, which the candidate's code source is not granted.
        String access = Security.getProperty("package.access");
        Security.setProperty("package.access", (access == null || access.isEmpty() ? "" : access + ",")
                + RESERVED_PACKAGES);
        warmUp();
        SecurityManager manager = new RunnerSecurityManager(liveThreads());
        // JDK 17 warns on stderr, once, that setSecurityManager is deprecated: not the run's output.
        PrintStream err = System.err;
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
        try {
            System.setSecurityManager(manager);
        } finally {
            System.setErr(err);
        }
    }

    /**
     * JDK services that find their providers on first use, with the access-control context of whoever uses them
     * first: first used by candidate code, they fail under the policy (java/mazy-mice's {@code
     * RandomGenerator.getDefault()}: "Unable to load jdk.random.L32X64MixRandom"). Used here first, they keep
     * what they found (and the generators' classes are initialised).
     */
    private static void warmUp() {
        // About 50 ms, most of it class loading that the class-data-sharing archive then holds. SecureRandom is
        // left out: it has no such problem, and seeding it reads the entropy pool.
        java.util.random.RandomGeneratorFactory.all()
                .filter(factory -> !"SecureRandom".equals(factory.name()))
                .forEach(factory -> factory.create());
    }

    /** Every thread alive now: the runner's (main and the JVM's own), none of the candidate's yet. */
    private static Set<Thread> liveThreads() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16];
        int n = root.enumerate(threads, true);
        Set<Thread> set = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < n; i++) {
            set.add(threads[i]);
        }
        return Collections.unmodifiableSet(set);
    }

    /**
     * The JDK's SecurityManager, stricter about threads: by default, any code may interrupt, rename,
     * suspend or reprioritise a thread outside the root thread group, which includes the thread JUnit
     * runs the tests in. Here a thread that was alive before any candidate class loaded can only be
     * modified by itself or by code holding the permission below (the candidate's code source does not).
     */
    static final class RunnerSecurityManager extends SecurityManager {
        private static final Permission RUNNER_THREADS = new RuntimePermission("polyglothrm.modifyRunnerThreads");
        private final Set<Thread> runnerThreads;

        RunnerSecurityManager(Set<Thread> runnerThreads) {
            this.runnerThreads = runnerThreads;
        }

        @Override
        public void checkAccess(Thread t) {
            super.checkAccess(t);
            if (t != Thread.currentThread() && runnerThreads.contains(t)) {
                checkPermission(RUNNER_THREADS);
            }
        }
    }
}
