/**
 * A jest reporter that counts the tests of each engine's run ("sqlite", "postgres") so that the
 * CI output says how many ran on each.
 */
class EngineSummary {
  constructor() {
    this.counts = new Map();
  }

  onTestResult(test, result) {
    const name = (test.context.config.displayName && test.context.config.displayName.name) || 'default';
    const c = this.counts.get(name) || { passed: 0, failed: 0, skipped: 0 };
    c.passed += result.numPassingTests;
    c.failed += result.numFailingTests + (result.testExecError ? 1 : 0);
    c.skipped += result.numPendingTests + result.numTodoTests;
    this.counts.set(name, c);
  }

  onRunComplete() {
    for (const [name, c] of this.counts)
      process.stderr.write(`Tests on ${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped\n`);
  }
}

module.exports = EngineSummary;
