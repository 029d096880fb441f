package dev.warden.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * An application class-data archive (AppCDS) shared by the JVMs started on one class path: the first
 * child writes it as it exits ({@code -XX:ArchiveClassesAtExit}), every later child maps it
 * ({@code -XX:SharedArchiveFile}) instead of loading and verifying the same classes again. The drill's
 * init workers start on a third less CPU with it ({@code warden drill init --workers 6 --trials 3}:
 * 30.5 → 20.6 CPU-seconds, same run), a Spring Boot replica on 40 % less (7.0 → 4.2 s).
 * <pre>{@code
 * ClassArchive.Launch launch = ClassArchive.launch(System.getProperty("java.class.path"), Main.class.getName());
 * cmd.addAll(launch.jvmOptions());
 * cmd.add("-cp");
 * cmd.add(launch.classPath());
 * cmd.add(Main.class.getName());
 * Process p = launch.started(new ProcessBuilder(cmd).start());
 * }</pre>
 * It pays where many children start one after the other: children started at once all start without
 * it, and the one that writes it spends a second or more writing it as it exits (so stop it with
 * SIGTERM, not SIGKILL, and give it that time; a child killed before it wrote the archive leaves none,
 * and the next child writes it).
 * <p>
 * The JVM archives classes from JAR files only and refuses to write an archive when the class path
 * holds a directory with files in it (a build's {@code target/classes}), so each such directory is
 * given to the child as a JAR of its contents, made once. Archives and JARs live under
 * {@code java.io.tmpdir/warden-cds-<user>/<key>}, the key a digest of the JVM, the main class and
 * every class path entry (a JAR's size and time, a directory's contents): a rebuilt class path gets a
 * new key, and a key unused for three days is deleted. One child at a time writes an archive (a marker file decides
 * which; a marker older than two minutes is taken over); the JVM writes the archive's header last, so
 * a child never maps one half written. The directory must be this user's alone (owner only, never
 * open to others, no symbolic link): an archive is class data the child trusts. A class path it cannot
 * give the child faithfully as JARs (a wildcard, a symbolic link inside a directory) gets no archive.
 * Empty entries (a trailing separator, as in surefire's {@code java.class.path}) are dropped, archive or
 * not: the JVM would read the current directory for one. No child writes one with less than 256 MB
 * free, and once a writer exited without writing one (a failed dump fails the child's exit), no child
 * of that key tries again. Any failure here costs only the speed-up: the child then starts as it would
 * without an archive. {@code -Dwarden.classArchive=off} turns it off.
 */
public final class ClassArchive {

    /** How long a child that writes the archive is given to exit by itself before it is killed. */
    public static final Duration TIME_TO_WRITE = Duration.ofSeconds(10);
    private static final Duration UNUSED_FOR = Duration.ofDays(3);
    /** A marker older than this is from a parent that died before its child exited. */
    private static final Duration WRITER_GONE_AFTER = Duration.ofMinutes(2);
    /** The first four bytes of a dynamic archive's header (HotSpot's CDS_DYNAMIC_ARCHIVE_MAGIC). */
    private static final int DYNAMIC_ARCHIVE_MAGIC = 0xf00baba8;
    private static final int SIGKILL_STATUS = 128 + 9;
    /** Less free space than this where the archive goes: no child writes one (a failed dump fails the child). */
    private static final long MIN_FREE_BYTES = 256L << 20;
    /** Archiving skips some classes with a warning each (hundreds for Spring): kept out of the child's output. */
    private static final List<String> QUIET = List.of("-Xlog:cds*=off", "-Xlog:class+path=off");
    private static final Map<String, Prepared> PREPARED = new ConcurrentHashMap<>();

    private ClassArchive() {
    }

    /** How to start one child: its class path, JVM options to add, and what to do once it started. */
    public static final class Launch {
        private final String classPath;
        private final List<String> jvmOptions;
        private final Prepared.Writer writer; // when this child writes the archive

        private Launch(String classPath, List<String> jvmOptions, Prepared.Writer writer) {
            this.classPath = classPath;
            this.jvmOptions = List.copyOf(jvmOptions);
            this.writer = writer;
        }

        /** A launch without an archive, on the class path as given. */
        private static Launch plain(String classPath) {
            return new Launch(classPath, List.of(), null);
        }

        /** The class path to give the child ({@code -cp}): directories replaced by JARs of them. */
        public String classPath() {
            return classPath;
        }

        /** Options to add to the child's command line, before the main class. */
        public List<String> jvmOptions() {
            return jvmOptions;
        }

        /** True when this child writes the archive as it exits. */
        public boolean writesArchive() {
            return writer != null;
        }

        /**
         * Call with the started child: when it writes the archive, its turn ends when it exits (and
         * what a SIGKILL left half written is deleted). Returns {@code process}.
         */
        public Process started(Process process) {
            if (writer != null) {
                writer.started(process);
            }
            return process;
        }

        /** Call when the child could not be started: lets another child write the archive. */
        public void notStarted() {
            if (writer != null) {
                writer.exited(SIGKILL_STATUS);
            }
        }
    }

    /**
     * The launch of one child of {@code mainClass} on {@code classPath}: maps the archive, writes it,
     * or neither. Each main class has its own archive (of the classes it loads).
     */
    public static Launch launch(String classPath, String mainClass) {
        String given = withoutEmptyEntries(classPath);
        if ("off".equalsIgnoreCase(System.getProperty("warden.classArchive", ""))) {
            return Launch.plain(given);
        }
        try {
            return prepared(given, mainClass).next();
        } catch (UncheckedIOException | IllegalStateException e) {
            return Launch.plain(given);
        }
    }

    /** True when children of {@code mainClass} started on {@code classPath} now map an archive. */
    public static boolean archived(String classPath, String mainClass) {
        try {
            return complete(prepared(withoutEmptyEntries(classPath), mainClass).archive());
        } catch (UncheckedIOException | IllegalStateException e) {
            return false;
        }
    }

    /**
     * The class path without its empty entries: the JVM would read the current directory for one, but
     * they come from joining paths (surefire's {@code java.class.path} ends with a separator), not from
     * a wish to load classes from wherever the child happens to start; a child never gets one.
     */
    private static String withoutEmptyEntries(String classPath) {
        return Stream.of(classPath.split(File.pathSeparator, -1)).filter(e -> !e.isEmpty())
                .collect(Collectors.joining(File.pathSeparator));
    }

    /**
     * The archive of the class path as it is now: digested at every launch, so that a directory rebuilt
     * while this JVM runs gets a new key, and prepared again when its directory or JARs were deleted.
     */
    private static Prepared prepared(String classPath, String mainClass) {
        Key key = Key.of(classPath, mainClass);
        Prepared p = PREPARED.get(key.hex());
        if (p != null && !p.intact()) {
            PREPARED.remove(key.hex(), p);
        }
        return PREPARED.computeIfAbsent(key.hex(), k -> prepare(key));
    }

    private static Prepared prepare(Key key) {
        try {
            Path root = ownDirectory(Path.of(System.getProperty("java.io.tmpdir"), "warden-cds-" + System.getProperty("user.name")));
            Path dir = root.resolve(key.hex().substring(0, 24));
            Files.createDirectories(dir);
            pruneUnused(root, dir);
            List<String> cp = new ArrayList<>();
            List<Path> jars = new ArrayList<>();
            for (int i = 0; i < key.entries().size(); i++) {
                String entry = key.entries().get(i);
                if (key.directoryWithFiles().get(i)) {
                    Path jar = jarOf(Path.of(entry), dir.resolve("classpath-" + i + ".jar"));
                    jars.add(jar);
                    cp.add(jar.toString());
                } else {
                    cp.add(entry);
                }
            }
            return new Prepared(String.join(File.pathSeparator, cp), dir, jars);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The key of one class path and main class: a digest of the JVM, the main class and every entry
     * (a JAR's size and time, a directory's files: each name and content with its length before it).
     * A class path this cannot archive faithfully throws {@link IllegalStateException}: a wildcard, or a
     * symbolic link in a directory (its target would be left out of the JAR).
     */
    private record Key(String hex, List<String> entries, List<Boolean> directoryWithFiles) {

        static Key of(String classPath, String mainClass) {
            List<String> entries = List.of(classPath.split(File.pathSeparator, -1));
            MessageDigest digest;
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            add(digest, System.getProperty("java.home") + "|" + System.getProperty("java.vm.version") + "|" + mainClass);
            List<Boolean> directoryWithFiles = new ArrayList<>();
            try {
                for (String entry : entries) {
                    if (entry.isEmpty() || entry.endsWith("*")) { // empty: an empty class path, not a directory
                        throw new IllegalStateException("class path entry '" + entry + "' is not archived (empty or a wildcard)");
                    }
                    directoryWithFiles.add(digestEntry(digest, Path.of(entry)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Key(HexFormat.of().formatHex(digest.digest()), entries, List.copyOf(directoryWithFiles));
        }

        /**
         * Adds a class path entry: a JAR's size and time, a directory's contents. True when it is a
         * directory with files in it (which the child gets as a JAR).
         */
        private static boolean digestEntry(MessageDigest key, Path entry) throws IOException {
            add(key, entry.toAbsolutePath().toString());
            if (Files.isRegularFile(entry)) {
                add(key, Files.size(entry) + "|" + Files.getLastModifiedTime(entry).toMillis());
                return false;
            }
            if (!Files.isDirectory(entry)) {
                return false;
            }
            try (Stream<Path> files = Files.walk(entry)) {
                List<Path> all = files.sorted().toList();
                boolean any = false;
                for (Path f : all) {
                    if (Files.isSymbolicLink(f)) {
                        throw new IllegalStateException("symbolic link " + f + " in a class path directory is not archived");
                    }
                    if (Files.isRegularFile(f)) {
                        add(key, entry.relativize(f).toString());
                        add(key, Files.readAllBytes(f));
                        any = true;
                    }
                }
                return any;
            }
        }

        private static void add(MessageDigest digest, String text) {
            add(digest, text.getBytes(StandardCharsets.UTF_8));
        }

        private static void add(MessageDigest digest, byte[] bytes) {
            digest.update(ByteBuffer.allocate(Long.BYTES).putLong(bytes.length).array());
            digest.update(bytes);
        }
    }

    /** The archive of one key: whether it exists, and who writes it. */
    private static final class Prepared {
        private final String classPath;
        private final Path dir;
        private final List<Path> jars;
        /** The child of this JVM that writes the archive, if one does: its turn ends when its exit is handled. */
        private final AtomicReference<Writer> writer = new AtomicReference<>();

        Prepared(String classPath, Path dir, List<Path> jars) {
            this.classPath = classPath;
            this.dir = dir;
            this.jars = List.copyOf(jars);
        }

        /** Its directory and JARs are still there (a key unused for days is deleted, by any parent). */
        boolean intact() {
            return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && jars.stream().allMatch(Files::isRegularFile);
        }

        Path archive() {
            return dir.resolve("app.jsa");
        }

        private Path marker() {
            return dir.resolve("writing");
        }

        /** Left by a writer that exited without writing the archive (no space, say): no child writes it again. */
        private Path failed() {
            return dir.resolve("failed");
        }

        synchronized Launch next() {
            try {
                Files.setLastModifiedTime(dir, FileTime.from(Instant.now()));
                Writer previous = writer.get();
                if (previous != null && previous.process != null && !previous.process.isAlive()) {
                    previous.exited(previous.process.exitValue()); // exited, its exit not handled yet: now
                }
                if (complete(archive())) {
                    return launch(List.of("-XX:SharedArchiveFile=" + archive()), null);
                }
                if (previous != null && previous.process != null && !previous.handled.get()) {
                    return launch(List.of(), null); // this JVM's writer is still at it, however long it takes
                }
                if (Files.exists(failed()) || Files.getFileStore(dir).getUsableSpace() < MIN_FREE_BYTES) {
                    return launch(List.of(), null);
                }
                try {
                    Files.createFile(marker());
                } catch (FileAlreadyExistsException e) {
                    if (Files.getLastModifiedTime(marker()).toInstant().isAfter(Instant.now().minus(WRITER_GONE_AFTER))) {
                        return launch(List.of(), null); // another child writes it
                    }
                    Files.setLastModifiedTime(marker(), FileTime.from(Instant.now())); // its writer is gone: take over
                }
                Writer w = new Writer();
                writer.set(w);
                // Written in place: the JVM writes the header last, so until it is whole a child that
                // opens it finds no valid header and starts as without one (complete() also checks).
                return launch(List.of("-XX:ArchiveClassesAtExit=" + archive()), w);
            } catch (IOException e) {
                return launch(List.of(), null);
            }
        }

        private Launch launch(List<String> archiveOptions, Writer writing) {
            List<String> options = new ArrayList<>(archiveOptions);
            options.addAll(QUIET);
            return new Launch(classPath, options, writing);
        }

        /** One child that writes the archive as it exits. */
        final class Writer {
            private final AtomicBoolean handled = new AtomicBoolean();
            private volatile Process process;

            void started(Process p) {
                process = p;
                p.onExit().thenAccept(gone -> exited(gone.exitValue()));
            }

            /**
             * Its turn is over: a file without its header is deleted; after a SIGKILL (mid-dump, say)
             * the next child writes it again, after any other exit (the dump failed) none does.
             */
            void exited(int exitStatus) {
                // Under the lock of next(): a launch never sees the marker of a writer whose exit is
                // being handled (it would take it for a live writer's and not write the archive).
                synchronized (Prepared.this) {
                    if (!handled.compareAndSet(false, true)) {
                        return;
                    }
                    try {
                        if (!complete(archive())) {
                            Files.deleteIfExists(archive());
                            if (exitStatus != SIGKILL_STATUS) {
                                Files.createFile(failed()); // it exited and did not write it: it never will
                            }
                        }
                    } catch (IOException ignored) {
                        // the next writer tries again
                    }
                    try {
                        Files.deleteIfExists(marker());
                    } catch (IOException ignored) {
                        // a stale marker expires (WRITER_GONE_AFTER)
                    }
                }
            }
        }
    }

    /** A dynamic archive with its header written: the JVM writes the header last. */
    private static boolean complete(Path archive) {
        try (InputStream in = Files.newInputStream(archive)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && ByteBuffer.wrap(magic).order(ByteOrder.LITTLE_ENDIAN).getInt() == DYNAMIC_ARCHIVE_MAGIC;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The directory of archives, this user's alone: an archive is class data the child trusts, so one
     * that another user could have written or replaced is never used (the child then starts without).
     */
    static Path ownDirectory(Path root) throws IOException {
        try {
            Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // made earlier: checked below like a new one
        } catch (UnsupportedOperationException e) {
            throw new IllegalStateException("no POSIX permissions for " + root, e);
        }
        PosixFileAttributes attributes = Files.readAttributes(root, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isDirectory()) {
            throw new IllegalStateException(root + " is not a directory (a symbolic link?)");
        }
        Path mine = Files.createTempFile(root, "owner", ".tmp"); // refused in another user's rwx------ directory
        try {
            if (!attributes.owner().equals(Files.getOwner(mine))) {
                throw new IllegalStateException(root + " belongs to " + attributes.owner().getName());
            }
        } finally {
            Files.deleteIfExists(mine);
        }
        if (!attributes.permissions().equals(PosixFilePermissions.fromString("rwx------"))) {
            // Ours, but others could write in it: anything in it may be theirs, so none of it is used.
            throw new IllegalStateException(root + " is open to others (" + PosixFilePermissions.toString(attributes.permissions())
                    + "): delete it, and Warden makes it again owner-only");
        }
        return root;
    }

    /**
     * A JAR of a directory's contents, with its directory entries (class path scanning, e.g. Spring's,
     * looks a package up as a directory). Made once: the archive records the JAR's size and time.
     */
    private static Path jarOf(Path directory, Path jar) throws IOException {
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        Path tmp = jar.resolveSibling(jar.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            zip(directory, tmp);
            Files.createLink(jar, tmp); // never replaces: a racing parent's JAR, maybe archived already, stays
        } catch (FileAlreadyExistsException e) {
            // that parent's JAR has the same contents
        } finally {
            Files.deleteIfExists(tmp);
        }
        return jar;
    }

    private static void zip(Path directory, Path to) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(to));
             Stream<Path> paths = Files.walk(directory)) {
            for (Path p : paths.sorted().toList()) {
                if (p.equals(directory)) {
                    continue;
                }
                String name = directory.relativize(p).toString().replace(File.separatorChar, '/');
                if (Files.isDirectory(p)) {
                    zip.putNextEntry(new ZipEntry(name + "/"));
                } else {
                    zip.putNextEntry(new ZipEntry(name));
                    try (InputStream in = Files.newInputStream(p)) {
                        in.transferTo(zip);
                    }
                }
                zip.closeEntry();
            }
        }
    }

    private static void pruneUnused(Path root, Path keep) {
        Instant before = Instant.now().minus(UNUSED_FOR);
        try (Stream<Path> keys = Files.list(root)) {
            for (Path key : keys.filter(k -> !k.equals(keep)).toList()) {
                if (Files.getLastModifiedTime(key).toInstant().isBefore(before)) {
                    deleteTree(key);
                }
            }
        } catch (IOException e) {
            // kept for another time
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
