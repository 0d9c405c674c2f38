/**
 * Preloaded (`node --import`) into each demo device process: the device stops when the demo that
 * started it goes away (its stdin pipe closes, even if the demo was killed), and a stop signal
 * always ends the process even if a handle keeps the event loop alive.
 */

/** How long the device may take to stop cleanly before the process exits anyway, ms. */
const EXIT_GRACE_MS = 3_000;

function exitSoon(): void {
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
}

process.on('SIGINT', exitSoon);
process.on('SIGTERM', exitSoon);
process.stdin.on('end', () => {
  exitSoon();
  process.kill(process.pid, 'SIGTERM');
});
process.stdin.on('error', () => undefined);
process.stdin.resume();
