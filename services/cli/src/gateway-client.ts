// Calls the gateway's HTTP API with the CLI's URL and token, turning its JSON errors and network
// failures into CliErrors with the exit code a script can act on.
import { CliError, ExitCode } from './exit-codes.js';

export interface ClientOptions {
  url: string;
  token: string | undefined;
  /** Per request; uploads of large files get longer. */
  timeoutMs: number;
}

interface ApiErrorBody {
  error?: { code?: string; message?: string };
}

export class GatewayClient {
  constructor(private readonly options: ClientOptions) {}

  get baseUrl(): string {
    return this.options.url.replace(/\/+$/, '');
  }

  async json<T>(method: string, path: string, body?: FormData | object): Promise<T> {
    const response = await this.request(method, path, body);
    return (await response.json()) as T;
  }

  async bytes(path: string): Promise<{ body: Buffer; response: Response }> {
    const response = await this.request('GET', path);
    return { body: Buffer.from(await response.arrayBuffer()), response };
  }

  private async request(method: string, path: string, body?: FormData | object): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const cause =
        error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
      throw new CliError(
        ExitCode.unavailable,
        `the gateway at ${this.baseUrl} could not be reached: ${cause}`,
      );
    }
    if (response.ok) return response;
    const text = await response.text();
    let message = text.slice(0, 500);
    try {
      const parsed = JSON.parse(text) as ApiErrorBody;
      if (parsed.error?.message)
        message = `${parsed.error.message} (${parsed.error.code ?? response.status})`;
    } catch {
      // Not JSON (a proxy's page): the start of the text says enough.
    }
    const hint = response.status === 401 ? '; pass --token or set VISIONOPS_TOKEN' : '';
    throw new CliError(
      response.status >= 500 ? ExitCode.unavailable : ExitCode.refused,
      `${method} ${path} answered ${response.status}: ${message}${hint}`,
    );
  }
}
