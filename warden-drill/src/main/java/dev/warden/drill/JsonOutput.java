package dev.warden.drill;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --json}, shared by the drills as a picocli {@code @Mixin}: prints a drill's
 * {@link DrillFigures} as one JSON object on one line (Jackson; record components named in
 * snake_case, {@code committedMsP50} is {@code committed_ms_p50}) or as its human summary, on the
 * command's standard output, and gives the exit code: 0 when every target holds, 1 otherwise.
 */
public final class JsonOutput {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

    @Option(names = "--json", description = "Print one JSON object instead of a summary.")
    boolean json;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** True when {@code --json} was given: progress lines then go to standard error, or nowhere. */
    public boolean json() {
        return json;
    }

    /** Prints the figures (JSON or summary) and returns the exit code. */
    public int print(DrillFigures figures) {
        PrintWriter out = mixee.commandLine().getOut();
        out.println(json ? toJson(figures) : figures.summary());
        out.flush();
        return exitCode(figures);
    }

    /** The one exit code rule: 0 when every target holds, 1 otherwise. */
    public static int exitCode(DrillFigures figures) {
        return figures.passed() ? 0 : 1;
    }

    /** The figures as one JSON object on one line, as {@code --json} prints them. */
    public static String toJson(Object figures) {
        try {
            return MAPPER.writeValueAsString(figures);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The figures as an indented JSON object (for a summary that shows them all). */
    public static String toPrettyJson(Object figures) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(figures);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The figures by their JSON names, in order (for a summary that lists every figure, and for tests). */
    public static LinkedHashMap<String, Object> fields(Object figures) {
        return MAPPER.convertValue(figures, new TypeReference<LinkedHashMap<String, Object>>() { });
    }
}
