// Training progress for a person: a redrawn progress bar on a terminal, plain lines in a log file.
import type { EpochRecord } from './checkpoint.js';
import type { TrainProgress } from './data-parallel-trainer.js';

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export class ProgressPrinter {
  private lastLine = 0;
  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly lineEverySec = 15,
  ) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  progress(p: TrainProgress): void {
    const text =
      `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} ` +
      `acc ${(p.accuracy * 100).toFixed(2)}% ${p.imagesPerSec.toFixed(0)} img/s ETA ${duration(p.etaSec)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((p.batch / p.batches) * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= this.lineEverySec * 1000 || p.batch === p.batches) {
      this.lastLine = now;
      this.out.write(`${new Date().toISOString()} ${text}\n`);
    }
  }

  epoch(r: EpochRecord): void {
    const validation =
      r.validationAccuracy === null
        ? ''
        : ` val_loss ${r.validationLoss!.toFixed(4)} val_acc ${(r.validationAccuracy * 100).toFixed(2)}%`;
    this.out.write(
      `${this.tty ? '\r\x1b[K' : ''}${new Date().toISOString()} epoch ${r.epoch} done in ${duration(r.seconds)}: ` +
        `loss ${r.loss.toFixed(4)} acc ${(r.accuracy * 100).toFixed(2)}%${validation} ` +
        `lr ${r.learningRate.toFixed(4)} ${r.imagesPerSec.toFixed(0)} img/s\n`,
    );
  }

  line(text: string): void {
    this.out.write(`${this.tty ? '\r\x1b[K' : ''}${new Date().toISOString()} ${text}\n`);
  }
}
