// The one error a Keras import raises for a file it refuses: the uploader's mistake (HTTP 400 / a
// failed job), with a stable code for programs and a message that says what to fix.

export type KerasImportErrorCode =
  | 'not_keras_file'
  | 'truncated'
  | 'bad_config'
  | 'unsupported_layer'
  | 'weight_shape_mismatch'
  | 'missing_weights'
  | 'too_large'
  | 'unsafe_archive'
  | 'wrong_input_shape'
  | 'wrong_output';

export class KerasImportError extends Error {
  constructor(
    readonly code: KerasImportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KerasImportError';
  }
}
