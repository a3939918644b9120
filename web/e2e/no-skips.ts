import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

// A test that skips passes nothing: a feature that is missing must fail the
// run, so any skipped test fails it (a test after a failure in a serial file
// is skipped too, but then the run has failed already).
export default class NoSkips implements Reporter {
  private skipped: string[] = [];

  onTestEnd(test: TestCase, result: TestResult) {
    if (result.status === 'skipped') this.skipped.push(`${test.location.file.split('/').pop()}:${test.location.line} ${test.title}`);
  }

  async onEnd(result: FullResult): Promise<{ status?: FullResult['status'] } | undefined> {
    if (this.skipped.length === 0) return undefined;
    console.error(`\n${this.skipped.length} test(s) skipped; every test must run:\n${this.skipped.map((s) => `  ${s}`).join('\n')}`);
    return result.status === 'passed' ? { status: 'failed' } : undefined;
  }

  printsToStdio() {
    return false;
  }
}
