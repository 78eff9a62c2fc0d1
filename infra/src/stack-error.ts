// A start-up problem the user can fix; its message says how, so it is printed without a stack.
export class StackError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StackError';
  }
}
