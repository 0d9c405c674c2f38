/**
 * Prints one plain closing line, `vitest: N passed, N failed, N skipped`, after the default report,
 * so that tools reading the last line of a run (CI) see the counts without parsing vitest's layout.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
    }
    console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
