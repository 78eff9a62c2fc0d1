// Artillery hooks shared by the scenarios: a time-bounded loop for closed-loop users, and counters
// of non-200 predictions that exist (as 0) in every report, so `ensure` can hold them at zero.

/** whileTrue: keep a closed-loop user going for `loopSeconds` (a config variable) after its first request. */
export function withinLoopTime(context, next) {
  const now = Date.now();
  context.vars.loopStartedAt ??= now;
  return next(now - context.vars.loopStartedAt < Number(context.vars.loopSeconds) * 1000);
}

/** afterResponse: count server errors and any other non-200 answer to a prediction. */
export function countPredictOutcome(_req, res, _context, events, done) {
  events.emit('counter', 'predict.server_errors', res.statusCode >= 500 ? 1 : 0);
  events.emit('counter', 'predict.not_ok', res.statusCode === 200 ? 0 : 1);
  return done();
}
