package dev.warden.example.spring;

import dev.warden.DatabaseUnavailableException;
import dev.warden.NotReadyException;
import java.util.List;
import java.util.Map;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /accounts}, {@code GET /accounts/{id}}, {@code POST /transfers}. */
@RestController
public class BankController {

    /** A transfer request. */
    public record TransferRequest(long from, long to, long amount, String note) {
    }

    private final Bank bank;

    public BankController(Bank bank) {
        this.bank = bank;
    }

    @GetMapping("/accounts")
    public List<Bank.Account> accounts() {
        return bank.accounts();
    }

    @GetMapping("/accounts/{id}")
    public ResponseEntity<Bank.Account> account(@PathVariable("id") long id) {
        return ResponseEntity.of(bank.account(id));
    }

    @PostMapping("/transfers")
    public Map<String, Object> transfer(@RequestBody TransferRequest r) throws InsufficientFundsException {
        if (r.amount() <= 0 || r.from() == r.to()) {
            throw new IllegalArgumentException("amount must be positive and the accounts different");
        }
        return Map.of("id", bank.transfer(r.from(), r.to(), r.amount(), r.note()));
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<Map<String, String>> badRequest(IllegalArgumentException e) {
        return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
    }

    @ExceptionHandler({InsufficientFundsException.class, DataIntegrityViolationException.class})
    ResponseEntity<Map<String, String>> conflict(Exception e) {
        return ResponseEntity.status(HttpStatus.CONFLICT).body(Map.of("error", e.getMessage()));
    }

    /** Not ready yet, or the database is down: 503 with Retry-After, never a stack trace. */
    @ExceptionHandler({NotReadyException.class, DatabaseUnavailableException.class})
    ResponseEntity<Map<String, String>> unavailable(RuntimeException e) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header("Retry-After", "1")
                .body(Map.of("error", e.getMessage()));
    }
}
