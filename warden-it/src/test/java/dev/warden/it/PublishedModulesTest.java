package dev.warden.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The published set, read from the reactor's POMs: a module is published unless it sets
 * {@code warden.unpublished}; the BOM manages exactly the published modules, at the build's version.
 * (Each published POM's Central metadata and its sources and javadoc jars are checked by the
 * enforcer's {@code central-metadata} and {@code central-jars} executions.)
 */
class PublishedModulesTest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @Test
    void bomManagesExactlyThePublishedModules() throws Exception {
        Document parent = read(ROOT.resolve("pom.xml"));
        Set<String> published = new TreeSet<>();
        for (String module : texts(parent.getDocumentElement(), "modules", "module")) {
            Element pom = read(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement();
            List<Element> properties = children(pom, "properties");
            boolean unpublished = !properties.isEmpty()
                    && children(properties.getFirst(), "warden.unpublished").stream()
                            .anyMatch(e -> "true".equals(e.getTextContent().trim()));
            if (!unpublished && !"warden-bom".equals(module)) {
                published.add(text(pom, "artifactId"));
            }
        }
        Element bom = read(ROOT.resolve("warden-bom/pom.xml")).getDocumentElement();
        Set<String> managed = new TreeSet<>();
        for (Element dependency : children(child(child(bom, "dependencyManagement"), "dependencies"), "dependency")) {
            assertThat(text(dependency, "groupId")).isEqualTo("dev.warden");
            assertThat(text(dependency, "version")).isEqualTo("${project.version}");
            managed.add(text(dependency, "artifactId"));
        }
        assertThat(published).contains("warden-core", "warden-http", "warden-spring-boot-starter");
        assertThat(managed).as("warden-bom's dependencyManagement").isEqualTo(published);
    }

    @Test
    void everyModuleIsAtTheBomsVersion() throws Exception {
        Element parent = read(ROOT.resolve("pom.xml")).getDocumentElement();
        String version = text(parent, "version");
        assertThat(text(read(ROOT.resolve("warden-bom/pom.xml")).getDocumentElement(), "version")).isEqualTo(version);
        for (String module : texts(parent, "modules", "module")) {
            if (!"warden-bom".equals(module)) {
                Element pom = read(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement();
                assertThat(text(pom, "parent", "version")).as(module + "'s parent version").isEqualTo(version);
            }
        }
    }

    @Test
    void licenceAndNoticeAtTheRoot() throws IOException {
        assertThat(Files.readString(ROOT.resolve("LICENSE"))).contains("Apache License", "Version 2.0, January 2004");
        assertThat(Files.readString(ROOT.resolve("NOTICE"))).contains("Apache License, Version 2.0");
    }

    private static Document read(Path pom) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(pom.toFile());
    }

    private static String text(Element element, String... path) {
        Element e = element;
        for (String name : path) {
            e = child(e, name);
        }
        return e.getTextContent().trim();
    }

    private static List<String> texts(Element element, String container, String name) {
        List<String> out = new ArrayList<>();
        for (Element e : children(child(element, container), name)) {
            out.add(e.getTextContent().trim());
        }
        return out;
    }

    private static Element child(Element element, String name) {
        List<Element> found = children(element, name);
        assertThat(found).as("<%s> in <%s>", name, element.getTagName()).hasSize(1);
        return found.getFirst();
    }

    private static List<Element> children(Element element, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = element.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE && nodes.item(i).getNodeName().equals(name)) {
                out.add((Element) nodes.item(i));
            }
        }
        return out;
    }
}
