package dev.warden.drill;

/**
 * One figure for each of the two clients a side-by-side drill compares (see {@link ClientPair}):
 * Warden's and the plain pool's, printed as {@code "warden"} and {@code "plain"}.
 */
public record SideBySide<T>(T warden, T plain) {
}
