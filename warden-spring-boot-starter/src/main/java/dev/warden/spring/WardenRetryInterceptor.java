package dev.warden.spring;

import dev.warden.internal.tx.TxCounters;
import dev.warden.tx.RetryPolicy;
import java.lang.reflect.Method;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.aop.support.AopUtils;
import org.springframework.core.annotation.AnnotatedElementUtils;

/** Runs a {@link WardenRetry} method under {@link WardenRetryTemplate}; ordered outside the transaction. */
final class WardenRetryInterceptor implements MethodInterceptor {

    private final Supplier<RetryPolicy> policy;
    private final Supplier<TxCounters> stats;

    WardenRetryInterceptor(Supplier<RetryPolicy> policy, Supplier<TxCounters> stats) {
        this.policy = policy;
        this.stats = stats;
    }

    @Override
    public Object invoke(MethodInvocation invocation) throws Throwable {
        RetryPolicy p = policy.get();
        Class<?> target = invocation.getThis() == null ? invocation.getMethod().getDeclaringClass()
                : AopUtils.getTargetClass(invocation.getThis());
        Method method = AopUtils.getMostSpecificMethod(invocation.getMethod(), target);
        WardenRetry retry = AnnotatedElementUtils.findMergedAnnotation(method, WardenRetry.class);
        if (retry == null) {
            retry = AnnotatedElementUtils.findMergedAnnotation(target, WardenRetry.class);
        }
        if (retry != null && retry.maxAttempts() > 0) {
            p = p.withMaxAttempts(retry.maxAttempts());
        }
        // Each run goes through the rest of the chain again: the transaction interceptor opens a fresh one.
        return WardenRetryTemplate.call(() -> invocation instanceof ProxyMethodInvocation pmi
                ? pmi.invocableClone().proceed() : invocation.proceed(), p, stats.get());
    }
}
