package dev.warden.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The house rules of docs/api.md, over the main classes of every module: what users touch
 * ({@code dev.warden}, {@code dev.warden.tx}), the extension points ({@code dev.warden.spi}) and the
 * engine ({@code dev.warden.internal..}) apart; the other modules on the API only (the starter
 * through the one documented bridge); dependencies running one way, no cycles.
 */
class ArchitectureTest {

    private static final List<String> MODULES = List.of("warden-testing", "warden-core", "warden-http",
            "warden-example", "warden-drill", "warden-spring-boot-starter", "warden-example-spring", "warden-example-jpa",
            "warden-bench");

    private static JavaClasses all;

    @BeforeAll
    static void importEveryModule() {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<Path> dirs = new ArrayList<>();
        for (String module : MODULES) {
            Path classes = root.resolve(module).resolve("target/classes");
            assertThat(classes).as("compiled classes of %s (the reactor builds it first)", module).isDirectory();
            dirs.add(classes);
        }
        all = new ClassFileImporter().importPaths(dirs);
        assertThat(all.stream().filter(c -> c.getPackageName().startsWith("dev.warden")).count())
                .as("classes imported").isGreaterThan(100);
    }

    private static DescribedPredicate<JavaClass> in(String... packages) {
        return JavaClass.Predicates.resideInAnyPackage(packages);
    }

    @Test
    void otherModulesUseOnlyApiAndSpi() {
        noClasses().that().resideInAnyPackage("dev.warden.http..", "dev.warden.drill..", "dev.warden.example..",
                        "dev.warden.testing..")
                .should().dependOnClassesThat().resideInAPackage("dev.warden.internal..")
                .because("docs/api.md: other modules use the API and SPI only")
                .check(all);
    }

    @Test
    void theStarterUsesTheEngineOnlyThroughTheDocumentedBridge() {
        noClasses().that().resideInAPackage("dev.warden.spring..")
                .should().dependOnClassesThat(in("dev.warden.internal..").and(DescribedPredicate.not(
                        JavaClass.Predicates.simpleName("WardenInternals")
                                .or(JavaClass.Predicates.simpleName("WardenInternals$Access"))
                                .or(JavaClass.Predicates.simpleName("TxCounters"))
                                .or(JavaClass.Predicates.belongToAnyOf(dev.warden.internal.tx.ManagedTransactions.class))
                                .or(JavaClass.Predicates.belongToAnyOf(dev.warden.internal.tx.RetryLoop.class)))))
                .because("the starter's one door into the engine is WardenInternals (and what it hands out: the"
                        + " counters, and ManagedTransactions, the SQL guard and lost-COMMIT verifier of Warden's own"
                        + " transactions), and Warden's one retry loop, RetryLoop, which core's transactions run through too")
                .check(all);
    }

    @Test
    void benchmarksReachOnlyTheTransactionEngine() {
        noClasses().that().resideInAPackage("dev.warden.bench..")
                .should().dependOnClassesThat(in("dev.warden.internal..").and(DescribedPredicate.not(
                        in("dev.warden.internal.tx"))))
                .because("benchmarks measure the transaction engine on a stub driver, nothing else inside")
                .check(all);
    }

    @Test
    void theTestingModuleStandsAlone() {
        noClasses().that().resideInAPackage("dev.warden.testing..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.warden", "dev.warden.tx..", "dev.warden.spi..",
                        "dev.warden.internal..", "dev.warden.http..", "dev.warden.spring..")
                .because("warden-testing depends on no other Warden module, so every module's tests can use it")
                .check(all);
    }

    @Test
    void theSpiDependsOnlyOnTheApiRoot() {
        noClasses().that().resideInAPackage("dev.warden.spi..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.warden.internal..", "dev.warden.tx..")
                .check(all);
    }

    @Test
    void theTransactionApiDependsOnNoEngineClass() {
        noClasses().that().resideInAPackage("dev.warden.tx..")
                .should().dependOnClassesThat().resideInAPackage("dev.warden.internal..")
                .check(all);
    }

    @Test
    void exceptionsAndErrorKindsDependOnNothingBelowTheRoot() {
        classes().that().resideInAPackage("dev.warden")
                .and().areAssignableTo(RuntimeException.class).or().haveSimpleName("ErrorKind")
                .should().onlyDependOnClassesThat().resideOutsideOfPackages("dev.warden.internal..", "dev.warden.tx..",
                        "dev.warden.spi..")
                .check(all);
    }

    @Test
    void apiValueTypesDependOnNoEngineClass() {
        // The facade (Warden), the lock factory (InitLocks), the configuration parser (WardenConfig) and
        // the embedded default (EmbeddedDatabase) are the API's doors into the engine; nothing else is.
        noClasses().that().resideInAPackage("dev.warden")
                .and().doNotHaveSimpleName("Warden").and().doNotHaveSimpleName("InitLocks")
                .and().doNotHaveSimpleName("WardenConfig").and().doNotHaveSimpleName("EmbeddedDatabase")
                .and(DescribedPredicate.not(JavaClass.Predicates.belongTo(
                        JavaClass.Predicates.simpleName("Warden").or(JavaClass.Predicates.simpleName("WardenConfig")))))
                .should().dependOnClassesThat().resideInAPackage("dev.warden.internal..")
                .check(all);
    }

    @Test
    void engineNeverUsesOtherModules() {
        noClasses().that().resideInAnyPackage("dev.warden", "dev.warden.tx..", "dev.warden.spi..",
                        "dev.warden.internal..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.warden.http..", "dev.warden.spring..",
                        "dev.warden.drill..", "dev.warden.example..", "dev.warden.bench..", "dev.warden.testing..")
                .check(all);
    }

    @Test
    void engineSubPackagesHaveNoCycles() {
        slices().matching("dev.warden.internal.(*)..").should().beFreeOfCycles().check(all);
    }

    @Test
    void moduleSlicesHaveNoCycles() {
        slices().matching("dev.warden.(*)..").should().beFreeOfCycles()
                .ignoreDependency(in("dev.warden"), in("dev.warden.internal..", "dev.warden.tx..", "dev.warden.spi.."))
                .ignoreDependency(in("dev.warden.internal..", "dev.warden.tx..", "dev.warden.spi.."), in("dev.warden"))
                .check(all);
    }

    @Test
    void drillFaultPackagesStandApart() {
        slices().matching("dev.warden.drill.(*)..").should().notDependOnEachOther()
                .because("each fault's drills (tx, outage, overload, failover, rolling, init, partition, matrix, patroni,"
                        + " pooler) stand alone; what they share"
                        + " lives in dev.warden.drill")
                .check(all);
    }

    @Test
    void sharedDrillHelpersDoNotReachIntoAFaultPackage() {
        noClasses().that().resideInAPackage("dev.warden.drill")
                .and(DescribedPredicate.not(JavaClass.Predicates.belongTo(JavaClass.Predicates.simpleName("WardenCli"))))
                .should().dependOnClassesThat().resideInAPackage("dev.warden.drill.*..")
                .because("the fault packages use the shared helpers, not the other way round; only WardenCli registers"
                        + " their commands")
                .check(all);
    }

    @Test
    void compiledClassesExistForEveryModule() {
        for (String module : MODULES) {
            assertThat(Files.isDirectory(Path.of("").toAbsolutePath().getParent().resolve(module)
                    .resolve("target/classes/dev/warden"))).as(module).isTrue();
        }
    }
}
