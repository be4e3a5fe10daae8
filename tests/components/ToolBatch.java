// Runs one of Kafka's CLI tools many times in one JVM, since starting a JVM costs a second or more per run.
// Each run's duration in milliseconds goes to OUT_DIR/N.ms.
//
//     java -cp 'kafka/libs/*' ToolBatch.java MAIN_CLASS RUNS_FILE OUT_DIR
//
// RUNS_FILE holds one run per line, its arguments separated by tabs. With MAIN_CLASS "-", each line's first field is
// the main class of that run (several tools in one JVM). Run N's stdout, stderr and exit status go to
// OUT_DIR/N.out, N.err and N.rc. Kafka's Exit procedure is replaced by one that throws, so a tool that exits (a
// usage error) ends only its own run; the status it asked for is recorded.

import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

public class ToolBatch {
    static final class ExitCalled extends RuntimeException {
        final int status;

        ExitCalled(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    public static void main(String[] argv) throws Exception {
        Method fixedMain = argv[0].equals("-") ? null : Class.forName(argv[0]).getMethod("main", String[].class);
        List<String> runs = Files.readAllLines(Path.of(argv[1]));
        Path out = Path.of(argv[2]);
        Class<?> exit = Class.forName("org.apache.kafka.common.utils.Exit");
        Class<?> procedure = Class.forName("org.apache.kafka.common.utils.Exit$Procedure");
        Object thrower = Proxy.newProxyInstance(procedure.getClassLoader(), new Class<?>[] {procedure},
            (proxy, method, args) -> {
                if (method.getName().equals("execute")) {
                    throw new ExitCalled((Integer) args[0], (String) args[1]);
                }
                return null;
            });
        exit.getMethod("setExitProcedure", procedure).invoke(null, thrower);
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        for (int n = 0; n < runs.size(); n++) {
            String[] args = runs.get(n).split("\t");
            Method main = fixedMain;
            if (main == null) {
                main = Class.forName(args[0]).getMethod("main", String[].class);
                args = java.util.Arrays.copyOfRange(args, 1, args.length);
            }
            int status = 0;
            long started = System.nanoTime();
            try (PrintStream o = new PrintStream(new FileOutputStream(out.resolve(n + ".out").toFile()), true);
                 PrintStream e = new PrintStream(new FileOutputStream(out.resolve(n + ".err").toFile()), true)) {
                System.setOut(o);
                System.setErr(e);
                try {
                    main.invoke(null, (Object) args);
                } catch (InvocationTargetException wrapped) {
                    Throwable cause = wrapped.getCause();
                    if (cause instanceof ExitCalled) {
                        status = ((ExitCalled) cause).status;
                    } else {
                        cause.printStackTrace(e);
                        status = 1;
                    }
                }
            } finally {
                System.setOut(stdout);
                System.setErr(stderr);
            }
            Files.writeString(out.resolve(n + ".rc"), Integer.toString(status));
            Files.writeString(out.resolve(n + ".ms"), Long.toString((System.nanoTime() - started) / 1_000_000));
        }
        System.exit(0);
    }
}
