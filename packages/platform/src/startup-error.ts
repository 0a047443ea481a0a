/**
 * A problem that stops a service from starting, worded for the person running it: what is wrong and what to
 * do. Entry points print only the message (one line) and exit 1; no stack trace, because none would help.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
