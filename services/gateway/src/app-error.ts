// The one error type routes throw on purpose: a stable code for clients, a message that says what
// to fix (4xx) and the HTTP status it maps to.
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}
