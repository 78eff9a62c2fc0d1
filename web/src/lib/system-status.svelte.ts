// The System page's view of the gateway: /health, /ready, /trainers and /metrics, scraped every few seconds;
// request rate and mean latency come from the difference between two scrapes.
import {
  health,
  listTrainers,
  metricsText,
  readiness,
  type Readiness,
  type TrainerInfo,
} from '../api/client.js';
import { httpTotals, parsePrometheus, ratesBetween, sum, type HttpTotals, type Rates } from './prometheus.js';

const INTERVAL_MS = 3000;

export interface MetricFigures {
  queueWaiting: number;
  queueActive: number;
  predictions: number;
  modelSwaps: number;
  modelLoadFailures: number;
  backend: string | null;
  residentMiB: number | null;
}

class SystemStatus {
  alive = $state<boolean | null>(null);
  ready = $state<Readiness | null>(null);
  /** Live trainers from their heartbeats; null when /trainers did not answer. */
  trainers = $state<TrainerInfo[] | null>(null);
  figures = $state<MetricFigures | null>(null);
  rates = $state<Rates | null>(null);
  error = $state<string | null>(null);
  updatedAt = $state<Date | null>(null);
  #previous: { totals: HttpTotals; at: number } | undefined;

  async refresh(): Promise<void> {
    const [alive, ready, trainers, text] = await Promise.allSettled([
      health(),
      readiness(),
      listTrainers(),
      metricsText(),
    ]);
    this.alive = alive.status === 'fulfilled';
    this.ready = ready.status === 'fulfilled' ? ready.value : null;
    this.trainers = trainers.status === 'fulfilled' ? trainers.value.trainers : null;
    this.error = this.alive ? null : 'the gateway does not answer /health';
    if (text.status === 'fulfilled') {
      const samples = parsePrometheus(text.value);
      const resident = sum(samples, 'process_resident_memory_bytes');
      this.figures = {
        queueWaiting: sum(samples, 'visionops_retrain_jobs', { state: 'waiting' }),
        queueActive: sum(samples, 'visionops_retrain_jobs', { state: 'active' }),
        predictions: sum(samples, 'visionops_predictions_total'),
        modelSwaps: sum(samples, 'visionops_model_swaps_total'),
        modelLoadFailures: sum(samples, 'visionops_model_load_failures_total'),
        backend: samples.find((s) => s.name === 'visionops_ml_backend_info')?.labels.backend ?? null,
        residentMiB: resident > 0 ? resident / 1024 / 1024 : null,
      };
      const now = { totals: httpTotals(samples), at: Date.now() };
      if (this.#previous) {
        this.rates = ratesBetween(this.#previous.totals, now.totals, (now.at - this.#previous.at) / 1000);
      }
      this.#previous = now;
    }
    this.updatedAt = new Date();
  }

  /** Starts polling; returns the function that stops it. */
  watch(): () => void {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await this.refresh();
      if (!stopped) timer = setTimeout(() => void tick(), INTERVAL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}

export const systemStatus = new SystemStatus();
