// Ad-hoc paired measurement of the stub benchmark by CPU time (docs/benchmarks.md, issue 24):
// java -cp warden-bench/target/benchmarks.jar bench/PairedStubCpu.java [rounds] [block]
import dev.warden.bench.TxOverheadStub;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/** Hand-written vs Warden on the stub, paired in one JVM, by the thread's CPU time (robust to a loaded machine). */
public class PairedStubCpu {
    static volatile int sink;
    public static void main(String[] a) throws Exception {
        int rounds = Integer.parseInt(a.length > 0 ? a[0] : "30"), block = Integer.parseInt(a.length > 1 ? a[1] : "200000");
        TxOverheadStub b = new TxOverheadStub();
        b.setUp();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 3_000_000; i++) { sink += b.handWritten(); sink += b.warden(); }
        double[] hw = new double[rounds], wd = new double[rounds], diff = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                boolean warden = (r + k) % 2 == 1;
                long t0 = mx.getCurrentThreadCpuTime();
                if (warden) { for (int i = 0; i < block; i++) sink += b.warden(); }
                else { for (int i = 0; i < block; i++) sink += b.handWritten(); }
                double ns = (mx.getCurrentThreadCpuTime() - t0) / (double) block;
                if (warden) wd[r] = ns; else hw[r] = ns;
            }
            diff[r] = wd[r] - hw[r];
        }
        b.tearDown();
        System.out.printf("rounds %d x %d tx each; CPU ns per tx, median (p25-p75)%n", rounds, block);
        System.out.printf("handWritten %s%nwarden      %s%ndifference  %s%n", q(hw), q(wd), q(diff));
    }
    static String q(double[] v) {
        double[] s = v.clone(); Arrays.sort(s);
        return String.format("%.1f (%.1f-%.1f)", s[s.length / 2], s[s.length / 4], s[3 * s.length / 4]);
    }
}
