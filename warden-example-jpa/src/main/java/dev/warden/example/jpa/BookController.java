package dev.warden.example.jpa;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** The library's HTTP API: how many copies of a book are on the shelf. */
@RestController
public class BookController {

    private final Library library;

    public BookController(Library library) {
        this.library = library;
    }

    @GetMapping("/books/{title}")
    public Map<String, Object> book(@PathVariable("title") String title) {
        return Map.of("title", title, "copies", library.copies(title));
    }
}
