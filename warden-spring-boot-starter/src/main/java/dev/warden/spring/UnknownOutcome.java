package dev.warden.spring;

import java.util.List;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionSynchronizationUtils;

/**
 * Tells a transaction's synchronisations that its COMMIT outcome is unknown. Spring would take its
 * rollback-on-commit-failure path for Warden's exception and tell them {@code STATUS_ROLLED_BACK}
 * ({@code @TransactionalEventListener(AFTER_ROLLBACK)} firing for a commit that may have been applied);
 * they are told {@code STATUS_UNKNOWN} here instead, and Spring then finds none left to tell.
 */
final class UnknownOutcome {

    private UnknownOutcome() {
    }

    static void tellSynchronizations(DefaultTransactionStatus status) {
        if (!status.isNewSynchronization() || !TransactionSynchronizationManager.isSynchronizationActive()) {
            return;
        }
        List<TransactionSynchronization> synchronizations = TransactionSynchronizationManager.getSynchronizations();
        TransactionSynchronizationManager.clearSynchronization();
        TransactionSynchronizationManager.initSynchronization();
        TransactionSynchronizationUtils.invokeAfterCompletion(synchronizations, TransactionSynchronization.STATUS_UNKNOWN);
    }
}
