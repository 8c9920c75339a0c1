/**
 * The timing loop every micro benchmark shares (tinybench): each task runs BATCH operations per sample, so that timer
 * overhead does not swamp sub-microsecond work, and is reported as the median microseconds per operation.
 */
import { Bench } from 'tinybench';

/** Operations per sample. */
export const BATCH = 50;

/** A named operation; `run` may answer a promise (awaited when the task is measured as asynchronous). */
export interface MeasuredTask {
  name: string;
  run: () => unknown;
}

/**
 * Median microseconds per operation of each task, by name. `asynchronous`: each operation is awaited before the next
 * (for tasks that answer promises); otherwise the batch runs synchronously.
 */
export async function medianMicros(tasks: readonly MeasuredTask[], timeMs: number, asynchronous = false): Promise<Map<string, number>> {
  const bench = new Bench({ time: timeMs, warmupTime: 100, ...(asynchronous ? { iterations: 10 } : {}) });
  for (const task of tasks) {
    bench.add(task.name, asynchronous
      ? async () => {
        for (let i = 0; i < BATCH; i++) await task.run();
      }
      : () => {
        for (let i = 0; i < BATCH; i++) task.run();
      });
  }
  await bench.run();
  return new Map(bench.tasks.map((task) => [task.name, (((task.result as { latency?: { p50?: number } }).latency?.p50 ?? NaN) * 1000) / BATCH]));
}
