// Logging a dependency that fails again and again (Redis reconnecting, S3 not answering): one line
// when an outage starts and one when it ends, not one per failed attempt.
import type { Logger } from './logger.js';

export class OutageLog {
  private down = false;

  constructor(
    private readonly logger: Logger,
    /** Logged (warn) at the first failure of an outage. */
    private readonly failedMessage: string,
    /** Logged (info) when it ends; nothing when omitted. */
    private readonly restoredMessage?: string,
    private readonly fields: Record<string, unknown> = {},
  ) {}

  /** True between a failure and the next success. */
  get isDown(): boolean {
    return this.down;
  }

  failed(error: unknown, fields: Record<string, unknown> = {}): void {
    if (!this.down) this.logger.warn({ err: error, ...this.fields, ...fields }, this.failedMessage);
    this.down = true;
  }

  recovered(): void {
    if (this.down && this.restoredMessage) this.logger.info(this.fields, this.restoredMessage);
    this.down = false;
  }
}
