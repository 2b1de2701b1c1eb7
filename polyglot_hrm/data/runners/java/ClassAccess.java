package polyglothrm.runner;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Widens the package-private and protected access of compiled classes to public, in place.
 *
 * <p>Why: the candidate's classes are defined by a class loader of their own, apart from the tests'
 * (so that candidate code cannot reach the test classes by name, nor their package-private members by
 * reflection). Two loaders make two runtime packages, even for the same (default) package name, so a test
 * could no longer call the package-private methods most exercise stubs declare. Widening the candidate's
 * package-private and protected classes and members to public restores exactly that access; private stays
 * private. Only access flags change: the class files are otherwise the compiler's, byte for byte.
 */
final class ClassAccess {
    private static final int PUBLIC = 0x0001;
    private static final int PRIVATE = 0x0002;
    private static final int PROTECTED = 0x0004;
    private static final int MAGIC = 0xCAFEBABE;

    private ClassAccess() {
    }

    /** Widens every class file under {@code dir}. */
    static void widenAll(Path dir) throws IOException {
        List<Path> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(p -> p.toString().endsWith(".class") && Files.isRegularFile(p)).forEach(classes::add);
        }
        for (Path file : classes) {
            Files.write(file, widen(Files.readAllBytes(file)));
        }
    }

    /** The class file {@code bytes} with package-private and protected access widened to public. */
    static byte[] widen(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes.clone());
        try {
            if (buf.getInt() != MAGIC) {
                throw new IllegalArgumentException("not a class file");
            }
            buf.position(buf.position() + 4); // minor and major version
            String[] utf8 = constantPool(buf);
            widenAt(buf, buf.position()); // the class itself
            buf.position(buf.position() + 2 + 2 + 2); // access flags, this_class, super_class
            skip(buf, 2 * u2(buf)); // interfaces
            members(buf, utf8); // fields
            members(buf, utf8); // methods
            int attributes = u2(buf);
            for (int i = 0; i < attributes; i++) {
                String name = utf8[u2(buf)];
                int length = buf.getInt();
                int end = buf.position() + length;
                if ("InnerClasses".equals(name)) {
                    int count = u2(buf);
                    for (int c = 0; c < count; c++) {
                        widenAt(buf, buf.position() + 6); // inner, outer, name, then its access flags
                        skip(buf, 8);
                    }
                }
                buf.position(end);
            }
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated class file", e);
        }
        return buf.array();
    }

    private static void members(ByteBuffer buf, String[] utf8) {
        int count = u2(buf);
        for (int i = 0; i < count; i++) {
            int flagsAt = buf.position();
            skip(buf, 2);
            String name = utf8[u2(buf)];
            skip(buf, 2); // descriptor
            if (!"<clinit>".equals(name)) { // a static initializer has no access of its own
                widenAt(buf, flagsAt);
            }
            int attributes = u2(buf);
            for (int a = 0; a < attributes; a++) {
                skip(buf, 2);
                skip(buf, buf.getInt());
            }
        }
    }

    /** The constant pool's UTF-8 entries by index (others null); leaves {@code buf} after the pool. */
    private static String[] constantPool(ByteBuffer buf) {
        int count = u2(buf);
        String[] utf8 = new String[count];
        for (int i = 1; i < count; i++) {
            int tag = buf.get() & 0xFF;
            switch (tag) {
                case 1: // Utf8: attribute names are ASCII, which modified UTF-8 encodes as itself
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

    private static void widenAt(ByteBuffer buf, int at) {
        int flags = buf.getShort(at) & 0xFFFF;
        if ((flags & PRIVATE) == 0) {
            buf.putShort(at, (short) ((flags & ~PROTECTED) | PUBLIC));
        }
    }

    private static int u2(ByteBuffer buf) {
        return buf.getShort() & 0xFFFF;
    }

    private static void skip(ByteBuffer buf, int n) {
        buf.position(buf.position() + n);
    }
}
