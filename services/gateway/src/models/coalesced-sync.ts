// One sync at a time for a follower of registry state (the production alias, the rollout): a sync
// asked for while one runs is run once right after it, never lost and never run twice at once.
export class CoalescedSync {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly run: (force: boolean) => Promise<void>,
    private readonly stopped: () => boolean,
  ) {}

  /** The sync in progress, if any (to wait for it on stop). */
  get current(): Promise<void> | undefined {
    return this.running;
  }

  /** From inside a sync: run another one right after it (what it read may already be stale). */
  requestAgain(): void {
    this.again = true;
  }

  /** Starts a sync, or, while one runs, asks for another after it; resolves with the running one. */
  request(force = false): Promise<void> {
    if (this.running) {
      // A change seen during a sync is handled right after it, never lost.
      this.again = true;
      return this.running;
    }
    this.running = this.run(force).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped()) {
        this.again = false;
        void this.request(true);
      }
    });
    return this.running;
  }
}
