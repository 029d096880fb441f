package dev.warden.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real child JVMs on a class path of their own (a directory with one class, and a JAR): the first
 * writes the archive as it exits, the next maps its classes from it; a child killed while it would
 * write leaves none, and the next one writes it.
 */
class ClassArchiveTest {

    private String setting;

    /** Loads a class from the JAR and from the directory, then exits, or waits when asked to. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Class.forName("org.junit.jupiter.api.Test");
            System.out.println("READY");
            if (args.length > 0 && args[0].equals("wait")) {
                Thread.sleep(Duration.ofMinutes(2));
            }
        }
    }

    @Test
    void theFirstChildWritesTheArchiveAsItExitsAndTheNextLoadsItsClassesFromIt(@TempDir Path dir) throws Exception {
        String classPath = classPath(dir);
        assertThat(ClassArchive.archived(classPath, Child.class.getName())).isFalse();

        try (ChildJvm first = ChildJvm.builder(Child.class).classPath(classPath).sharedClassArchive().start()) {
            assertThat(first.awaitExit(Duration.ofSeconds(60))).hasValue(0);
            assertThat(first.lines()).as("no archiving warning in the child's output").containsExactly("READY");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ClassArchive.archived(classPath, Child.class.getName()));

        try (ChildJvm next = ChildJvm.builder(Child.class).classPath(classPath).sharedClassArchive().jvmArgs("-Xlog:class+load=info").start()) {
            assertThat(next.awaitExit(Duration.ofSeconds(60))).hasValue(0);
            assertThat(next.lines()).as("the directory's class and the JAR's, from the archive")
                    .anyMatch(l -> l.contains(Child.class.getName() + " source: shared objects file (top)"))
                    .anyMatch(l -> l.contains("org.junit.jupiter.api.Test source: shared objects file (top)"))
                    .contains("READY");
        }
    }

    @Test
    void aChildKilledBeforeItWroteTheArchiveLeavesNoneAndTheNextWritesIt(@TempDir Path dir) throws Exception {
        String classPath = classPath(dir);
        try (ChildJvm killed = ChildJvm.builder(Child.class).classPath(classPath).sharedClassArchive().args("wait").start()) {
            killed.awaitLine("READY", Duration.ofSeconds(60));
            killed.signal("KILL");
            assertThat(killed.awaitExit(Duration.ofSeconds(60))).hasValue(137);
        }
        assertThat(ClassArchive.archived(classPath, Child.class.getName())).isFalse();
        try (ChildJvm next = ChildJvm.builder(Child.class).classPath(classPath).sharedClassArchive().start()) {
            assertThat(next.awaitExit(Duration.ofSeconds(60))).hasValue(0);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ClassArchive.archived(classPath, Child.class.getName()));
    }

    @Test
    void turnedOffTheChildGetsTheClassPathAsGivenAndNoOption() {
        System.setProperty("warden.classArchive", "off");
        ClassArchive.Launch launch = ClassArchive.launch("some/dir" + File.pathSeparator + "some.jar", "Main");
        assertThat(launch.classPath()).isEqualTo("some/dir" + File.pathSeparator + "some.jar");
        assertThat(launch.jvmOptions()).isEmpty();
        assertThat(launch.writesArchive()).isFalse();
    }

    @Test
    void aDirectoryOfArchivesThatIsALinkOrAnotherUsersIsNeverUsed(@TempDir Path dir) throws Exception {
        Path own = ClassArchive.ownDirectory(dir.resolve("own"));
        assertThat(Files.getPosixFilePermissions(own)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rwxrwxrwx"));
        // Others could have put anything in it while it was open: refused, not made private and used.
        assertThatThrownBy(() -> ClassArchive.ownDirectory(own)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("open to others");

        Path link = Files.createSymbolicLink(dir.resolve("link"), own);
        assertThatThrownBy(() -> ClassArchive.ownDirectory(link)).isInstanceOf(IllegalStateException.class);

        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        UserPrincipal nobody = theirs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rwxrwxrwx"));
        assumeTrue(canChown(theirs, nobody), "changing a file's owner needs root");
        assertThatThrownBy(() -> ClassArchive.ownDirectory(theirs)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nobody");
    }

    @Test
    void aWildcardOrALinkInAClassDirectoryMeansNoArchive(@TempDir Path dir) throws Exception {
        String classPath = classPath(dir);
        String wildcard = classPath + File.pathSeparator + dir.resolve("lib") + File.separator + "*";
        ClassArchive.Launch launch = ClassArchive.launch(wildcard, Child.class.getName());
        assertThat(launch.classPath()).isEqualTo(wildcard);
        assertThat(launch.jvmOptions()).isEmpty();
        assertThat(launch.writesArchive()).isFalse();
        // A link in a class directory: its target would be missing from the JAR.
        Path classes = dir.resolve("classes");
        Files.createSymbolicLink(classes.resolve("linked"), Files.createDirectories(dir.resolve("elsewhere")));
        Files.writeString(dir.resolve("elsewhere").resolve("R.txt"), "r");
        ClassArchive.Launch linked = ClassArchive.launch(classPath, Child.class.getName());
        assertThat(linked.classPath()).isEqualTo(classPath);
        assertThat(linked.writesArchive()).isFalse();
    }

    @Test
    void emptyEntriesAreDroppedArchiveOrNot(@TempDir Path dir) throws Exception {
        String classPath = classPath(dir);
        // surefire's java.class.path ends with a separator: an empty entry, which the JVM reads as the
        // current directory; the child gets neither it nor a JAR of it.
        ClassArchive.Launch launch = ClassArchive.launch(File.pathSeparator + classPath + File.pathSeparator, Child.class.getName());
        launch.notStarted();
        assertThat(launch.writesArchive()).isTrue();
        assertThat(launch.classPath().split(File.pathSeparator, -1)).hasSize(2).doesNotContain("");
        System.setProperty("warden.classArchive", "off");
        assertThat(ClassArchive.launch(classPath + File.pathSeparator, Child.class.getName()).classPath()).isEqualTo(classPath);
    }

    @Test
    void theClassPathOfThisTestJvmIsArchived() {
        // What drill init's workers get under surefire: an archive taken for a class path it cannot
        // archive would only cost time, and no other test would notice.
        ClassArchive.Launch launch = ClassArchive.launch(System.getProperty("java.class.path"), Child.class.getName());
        launch.notStarted();
        assertThat(launch.jvmOptions()).anyMatch(o -> o.startsWith("-XX:ArchiveClassesAtExit=") || o.startsWith("-XX:SharedArchiveFile="));
    }

    @Test
    void aClassDirectoryChangedWhileThisJvmRunsGetsANewArchive(@TempDir Path dir) throws Exception {
        String classPath = classPath(dir);
        ClassArchive.Launch before = ClassArchive.launch(classPath, Child.class.getName());
        before.notStarted();
        Files.writeString(dir.resolve("classes").resolve("added.txt"), "a rebuild");
        ClassArchive.Launch after = ClassArchive.launch(classPath, Child.class.getName());
        after.notStarted();
        assertThat(after.classPath()).as("a JAR of the directory as it is now").isNotEqualTo(before.classPath());
        assertThat(before.writesArchive()).isTrue();
        assertThat(after.writesArchive()).as("a new key, with no archive yet").isTrue();
    }

    private static boolean canChown(Path path, UserPrincipal to) {
        try {
            Files.setOwner(path, to);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The build may turn it off (-Dwarden.classArchive=off); these tests need it on. */
    @BeforeEach
    void on() {
        setting = System.getProperty("warden.classArchive");
        System.clearProperty("warden.classArchive");
    }

    @AfterEach
    void asBefore() {
        if (setting == null) {
            System.clearProperty("warden.classArchive");
        } else {
            System.setProperty("warden.classArchive", setting);
        }
    }

    /** A directory holding only {@link Child}, then the JAR of JUnit's annotations: unique to the test. */
    private static String classPath(Path dir) throws Exception {
        Path classes = dir.resolve("classes");
        String file = Child.class.getName().replace('.', '/') + ".class";
        Path target = classes.resolve(file);
        Files.createDirectories(target.getParent());
        try (var in = Child.class.getClassLoader().getResourceAsStream(file)) {
            Files.copy(in, target);
        }
        Path jar = Path.of(Test.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(jar.toString()).endsWith(".jar");
        return classes + File.pathSeparator + jar;
    }
}
