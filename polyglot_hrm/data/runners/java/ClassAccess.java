package polyglothrm.runner;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Changes the access flags of compiled classes, in place; nothing else in a class file changes.
 *
 * <p>The candidate's classes are defined by a class loader of their own, apart from the tests' (so that
 * candidate code cannot reach the test classes by name). Two loaders make two runtime packages, even for
 * the same (default) package name, which has two consequences, one per method here:
 *
 * <ul>
 *   <li>{@link #widen}: a test could no longer call the package-private methods most exercise stubs
 *       declare. Widening the candidate's package-private and protected classes and members to public
 *       restores exactly that access; private stays private.
 *   <li>{@link #narrow}: the other way round, a public test class would be the only part of the tests that
 *       candidate code could use, given a Class object of it (a lambda the tests pass in leads to its class
 *       through {@code getNestHost()}). Making the JUnit 5 test classes package-private puts all of the tests
 *       out of the candidate's reach (JUnit 5 runs package-private classes; JUnit 4 requires public ones, so
 *       classes that use JUnit 4 stay as they are).
 * </ul>
 */
final class ClassAccess {
    private static final int PUBLIC = 0x0001;
    private static final int PRIVATE = 0x0002;
    private static final int PROTECTED = 0x0004;
    private static final int MAGIC = 0xCAFEBABE;

    private ClassAccess() {
    }

    /** Widens every class file under {@code dir} ({@link #widen}). */
    static void widenAll(Path dir) throws IOException {
        rewriteAll(dir, ClassAccess::widen);
    }

    /** Narrows every class file under {@code dir} ({@link #narrow}). */
    static void narrowAll(Path dir) throws IOException {
        rewriteAll(dir, ClassAccess::narrow);
    }

    /** The class file with package-private and protected access (class, fields, methods, nested) made public. */
    static byte[] widen(byte[] bytes) {
        ClassFile c = ClassFile.parse(bytes);
        c.widenAt(c.classFlags);
        c.memberFlags.forEach(c::widenAt);
        c.innerFlags.forEach(c::widenAt);
        return c.bytes.array();
    }

    /** The class file made package-private (itself, not its members), unless it uses JUnit 4. */
    static byte[] narrow(byte[] bytes) {
        ClassFile c = ClassFile.parse(bytes);
        if (!c.usesJUnit4()) {
            c.narrowAt(c.classFlags);
            if (c.ownInnerFlags >= 0) {
                c.narrowAt(c.ownInnerFlags);
            }
        }
        return c.bytes.array();
    }

    private static void rewriteAll(Path dir, Function<byte[], byte[]> change) throws IOException {
        List<Path> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(p -> p.toString().endsWith(".class") && Files.isRegularFile(p)).forEach(classes::add);
        }
        for (Path file : classes) {
            Files.write(file, change.apply(Files.readAllBytes(file)));
        }
    }

    /** Where a class file keeps its access flags (offsets into {@link #bytes}). */
    private static final class ClassFile {
        final ByteBuffer bytes;
        final String[] utf8;
        int classFlags;
        /** The InnerClasses entry that describes this class itself (a nested class), or -1. */
        int ownInnerFlags = -1;
        final List<Integer> memberFlags = new ArrayList<>();
        final List<Integer> innerFlags = new ArrayList<>();

        private ClassFile(ByteBuffer bytes, String[] utf8) {
            this.bytes = bytes;
            this.utf8 = utf8;
        }

        static ClassFile parse(byte[] original) {
            ByteBuffer buf = ByteBuffer.wrap(original.clone());
            try {
                if (buf.getInt() != MAGIC) {
                    throw new IllegalArgumentException("not a class file");
                }
                skip(buf, 4); // minor and major version
                ClassFile c = new ClassFile(buf, constantPool(buf));
                c.classFlags = buf.position();
                skip(buf, 2);
                int thisClass = u2(buf);
                skip(buf, 2); // super_class
                skip(buf, 2 * u2(buf)); // interfaces
                c.members(); // fields
                c.members(); // methods
                int attributes = u2(buf);
                for (int i = 0; i < attributes; i++) {
                    String name = c.utf8[u2(buf)];
                    int end = buf.getInt() + buf.position();
                    if ("InnerClasses".equals(name)) {
                        int count = u2(buf);
                        for (int n = 0; n < count; n++) {
                            int inner = u2(buf);
                            skip(buf, 4); // outer_class_info, inner_name
                            c.innerFlags.add(buf.position());
                            if (inner == thisClass) {
                                c.ownInnerFlags = buf.position();
                            }
                            skip(buf, 2);
                        }
                    }
                    buf.position(end);
                }
                return c;
            } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("truncated class file", e);
            }
        }

        /** Whether the class names JUnit 4's API (org.junit.*, not org.junit.jupiter.*): then it must stay public. */
        boolean usesJUnit4() {
            for (String s : utf8) {
                if (s != null && s.contains("org/junit/") && !s.contains("org/junit/jupiter/")
                        && !s.contains("org/junit/platform/")) {
                    return true;
                }
            }
            return false;
        }

        private void members() {
            int count = u2(bytes);
            for (int i = 0; i < count; i++) {
                int flagsAt = bytes.position();
                skip(bytes, 2);
                String name = utf8[u2(bytes)];
                skip(bytes, 2); // descriptor
                if (!"<clinit>".equals(name)) { // a static initializer has no access of its own
                    memberFlags.add(flagsAt);
                }
                int attributes = u2(bytes);
                for (int a = 0; a < attributes; a++) {
                    skip(bytes, 2);
                    skip(bytes, bytes.getInt());
                }
            }
        }

        void widenAt(int at) {
            int flags = bytes.getShort(at) & 0xFFFF;
            if ((flags & PRIVATE) == 0) {
                bytes.putShort(at, (short) ((flags & ~PROTECTED) | PUBLIC));
            }
        }

        void narrowAt(int at) {
            int flags = bytes.getShort(at) & 0xFFFF;
            bytes.putShort(at, (short) (flags & ~(PUBLIC | PROTECTED)));
        }

        /** The constant pool's UTF-8 entries by index (others null); leaves {@code buf} after the pool. */
        private static String[] constantPool(ByteBuffer buf) {
            int count = u2(buf);
            String[] utf8 = new String[count];
            for (int i = 1; i < count; i++) {
                int tag = buf.get() & 0xFF;
                switch (tag) {
                    case 1: // Utf8: the names looked for are ASCII, which modified UTF-8 encodes as itself
                        byte[] text = new byte[u2(buf)];
                        buf.get(text);
                        utf8[i] = new String(text, StandardCharsets.ISO_8859_1);
                        break;
                    case 7: case 8: case 16: case 19: case 20: // Class, String, MethodType, Module, Package
                        skip(buf, 2);
                        break;
                    case 15: // MethodHandle
                        skip(buf, 3);
                        break;
                    case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18:
                        skip(buf, 4);
                        break;
                    case 5: case 6: // Long and Double take two entries
                        skip(buf, 8);
                        i++;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown constant pool tag " + tag);
                }
            }
            return utf8;
        }

        private static int u2(ByteBuffer buf) {
            return buf.getShort() & 0xFFFF;
        }

        private static void skip(ByteBuffer buf, int n) {
            buf.position(buf.position() + n);
        }
    }
}
