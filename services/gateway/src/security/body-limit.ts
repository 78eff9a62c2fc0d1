// A cap on a whole request body, for a route whose parts each have a limit but whose sum would
// still be large: POST /predict takes PREDICT_MAX_FILES images of up to MAX_IMAGE_BYTES each, held in
// memory, so the body as a whole is held to PREDICT_MAX_BODY_BYTES.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppError } from '../app-error.js';
import { sendAppError } from '../error-handler.js';

/** How long a connection cut for its body stays half open so its client can read the answer. */
const LINGER_MS = 2000;

/**
 * Closes a connection whose client is still sending: a socket destroyed with unread data in it
 * resets the connection, and a reset can make the client's system drop the 413 it has not read
 * yet. So the answer is followed by a FIN, and the socket is destroyed only a moment later.
 */
function closeAfterAnswer(socket: Request['socket']): void {
  socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * `send` answers a chunked body's 413 at once, outside the middleware chain; routes with an error
 * body of their own (the V2 protocol's) pass theirs.
 */
export function bodyLimit(
  maxBytes: number,
  tooLarge: () => AppError,
  send: (res: Response, error: AppError) => void = sendAppError,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const declared = req.headers['content-length'];
    if (declared !== undefined) {
      // Node stops a body at its declared length, so checking the declaration is enough. Nothing is
      // read: the connection closes after the answer rather than taking the body in.
      if (Number(declared) > maxBytes) {
        res.setHeader('connection', 'close');
        next(tooLarge());
        return;
      }
      next();
      return;
    }
    // A chunked body declares no length: count it as it arrives, answer 413 at the limit and close
    // the connection, which also ends the parser reading it. A request answered already (a refusal
    // that did not wait for the body) is only cut off.
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBytes) return;
      req.off('data', count);
      if (res.headersSent) {
        req.socket.destroy();
        return;
      }
      res.setHeader('connection', 'close');
      res.once('finish', () => closeAfterAnswer(req.socket));
      send(res, tooLarge());
    };
    req.on('data', count);
    next();
  };
}
