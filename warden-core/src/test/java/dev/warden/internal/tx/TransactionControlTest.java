package dev.warden.internal.tx;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The scan's memory of harmless SQL: by identity, so a text that only shares a slot is still scanned. */
class TransactionControlTest {

    @Test
    void aHarmlessTextIsRememberedAndAnotherTextWithTheSameHashIsStillScanned() {
        // "'a" and "(B" have the same String hash: these two texts land in the same slot.
        String harmless = new String("select 'a; commit'");
        String harmful = new String("select (B; commit'");
        assertThat(harmful.hashCode()).isEqualTo(harmless.hashCode());

        assertThat(TransactionControl.find(harmless)).isNull();
        assertThat(TransactionControl.find(harmless)).isNull();
        assertThat(TransactionControl.find(harmful)).isEqualTo("commit");
        assertThat(TransactionControl.find(harmful)).isEqualTo("commit");
        // an equal text that is another object is scanned, and found harmless again
        assertThat(TransactionControl.find(new String(harmless))).isNull();
    }

    @Test
    void aTextHarmlessOnlyWithoutStandardConformingStringsIsNotRememberedAsHarmless() {
        // Without standard strings the backslash escapes the quote: one string up to the last quote,
        // harmless. With them, 'a\' ends at the second quote and the COMMIT after ';' is a statement.
        String text = new String("select 'a\\'; commit; select '");
        assertThat(TransactionControl.find(text, false)).isNull();
        assertThat(TransactionControl.find(text, true)).isEqualTo("commit");
        assertThat(TransactionControl.find(text, false)).isNull();
        assertThat(TransactionControl.find(text, true)).isEqualTo("commit");
    }
}
