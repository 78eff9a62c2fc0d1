// The parent's side of bench/load-client.ts: starts it as a child process (so its HTTP work does
// not share the gateway's event loop) and asks it one thing at a time.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromLoadClient, ToLoadClient } from './load-client.js';

const CLIENT_TIMEOUT_MS = 120_000;

/** A load client in its own process (bench/load-client.ts), answering one message at a time. */
export class LoadClient {
  private readonly child: ChildProcess;
  private readonly exited: Promise<never>;

  constructor() {
    // The same Node flags as this process, so the child runs TypeScript through tsx as well.
    this.child = fork(fileURLToPath(new URL('./load-client.ts', import.meta.url)), {
      execArgv: process.execArgv,
      serialization: 'advanced',
      stdio: 'inherit',
    });
    this.exited = new Promise<never>((_, reject) => {
      this.child.once('exit', (code) => reject(new Error(`the load client exited with code ${code}`)));
    });
    this.exited.catch(() => undefined);
  }

  ask(message: ToLoadClient): Promise<FromLoadClient> {
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<FromLoadClient>((resolve, reject) => {
      this.child.once('message', (reply: FromLoadClient) => resolve(reply));
      timer = setTimeout(() => reject(new Error('the load client took too long')), CLIENT_TIMEOUT_MS);
      this.child.send(message);
    });
    return Promise.race([answer, this.exited]).finally(() => clearTimeout(timer));
  }

  tell(message: ToLoadClient): void {
    this.child.send(message);
  }

  close(): void {
    this.child.kill();
  }
}
