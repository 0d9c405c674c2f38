/**
 * The emulator's broker in a child process, so its RSS can be measured apart from the test runner.
 * Started by broker-packet-size.test.ts with `--import tsx --expose-gc`; talks over IPC:
 * sends `{ ready, port, caCertPem, claim }`, answers `baseline` (gc, then start sampling RSS) and
 * `peak` (largest RSS growth seen since the baseline, in bytes); exits when the parent goes.
 */
import { startIotFixture } from '../cloud-iot/fixture.js';

const fx = await startIotFixture({ broker: { log: () => undefined } });
const claim = await fx.newClaim();
let baseline = 0;
let peak = 0;
const sample = (): void => {
  peak = Math.max(peak, process.memoryUsage().rss - baseline);
};
const sampler = setInterval(sample, 10);
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'baseline') {
    (globalThis as { gc?: () => void }).gc?.();
    baseline = process.memoryUsage().rss;
    peak = 0;
    process.send?.({ cmd: 'baseline' });
  } else if (m.cmd === 'peak') {
    sample();
    process.send?.({ cmd: 'peak', bytes: peak });
  }
});
process.on('disconnect', () => {
  clearInterval(sampler);
  void fx.close().finally(() => process.exit(0));
});
process.send?.({ cmd: 'ready', port: fx.broker.port, caCertPem: fx.ca.caCertPem, claim });
