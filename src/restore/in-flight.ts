/**
 * At most `limit` tasks at once. Restoring a small file is mostly waiting (an image read on the
 * threadpool, an inflate worker's reply); several in flight keep the disk and the cores busy.
 * The first task that fails stops new ones from starting; its error is thrown once every task
 * still running has settled, so none is left writing (each discards its own temp file).
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Start `task` once a slot is free (waiting for one if need be). */
  async run(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure) await this.drain();
    const running: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(running));
    this.running.add(running);
  }

  /** Wait for every task started; throw the first failure among them. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure.error;
  }
}
