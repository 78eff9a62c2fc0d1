// The retrain job list, polled every second while a job is queued or running and every ten
// seconds otherwise, so a job started elsewhere (curl, another tab) shows up too.
import { listJobs } from '../api/client.js';
import type { Job } from '../api/client.js';

const FAST_MS = 1000;
const SLOW_MS = 10_000;

class JobList {
  jobs = $state<Job[]>([]);
  error = $state<string | null>(null);
  loaded = $state(false);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #users = 0;

  get running(): boolean {
    return this.jobs.some((job) => job.state === 'queued' || job.state === 'active');
  }

  async refresh(): Promise<void> {
    try {
      this.jobs = (await listJobs()).jobs;
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.loaded = true;
    }
  }

  /** Starts polling; returns the function that stops it (for a component's $effect). */
  watch(): () => void {
    this.#users += 1;
    if (this.#users === 1) void this.#tick();
    return () => {
      this.#users -= 1;
      if (this.#users === 0) clearTimeout(this.#timer);
    };
  }

  /** Polls at once (after an upload or a cancel) instead of waiting for the next tick. */
  poke(): void {
    clearTimeout(this.#timer);
    if (this.#users > 0) void this.#tick();
  }

  async #tick(): Promise<void> {
    await this.refresh();
    if (this.#users === 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), this.running ? FAST_MS : SLOW_MS);
  }
}

export const jobList = new JobList();
