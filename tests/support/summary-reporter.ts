import type { Reporter, TestModule } from 'vitest/node';

/**
 * CI reads only the last line of the test output: a plain "N passed, N failed[, N skipped]".
 * Vitest's own summary is coloured and multi-line, so this reporter prints the tally last.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that fails to load or whose hooks throw (its tests then show as skipped) is a failure too.
      const failedTests = [...module.children.allTests()].filter((t) => t.result().state === 'failed').length;
      if (module.state() === 'failed' && failedTests === 0) failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
