import { existsSync, readFileSync } from 'node:fs';
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

// Failures repeats, after the list reporter's report, each failed test's
// first lines of error and where it stopped, in at most a dozen lines: CI
// keeps the end of a long log, and the list reporter puts a failure's
// message above its attachments, out of that end.
export default class Failures implements Reporter {
  private failed: string[] = [];

  onTestEnd(test: TestCase, result: TestResult) {
    if (result.status === 'passed' || result.status === 'skipped') return;
    const err = result.errors[0] ?? result.error;
    const msg = (err?.message ?? result.status).replace(/\u001b\[[0-9;]*m/g, '').split('\n').filter((l) => l.trim() !== '').slice(0, 6);
    const at = err?.location ? `${err.location.file.replace(/^.*\/web\//, 'web/')}:${err.location.line}` : test.location.file;
    this.failed.push([`✘ ${test.title} (${result.status}, ${Math.round(result.duration / 1000)} s) at ${at}`, ...msg.map((l) => '    ' + l.trim().slice(0, 200))].join('\n'));
  }

  onEnd(_: FullResult) {
    if (this.failed.length === 0) return;
    console.log('\nFailed (repeated from above):\n' + this.failed.join('\n'));
    // The platform logs at warn level: its last warnings and errors are
    // often the other half of a failure.
    const log = process.env.E2E_STACK_LOG;
    if (!log || !existsSync(log)) return;
    const lines = readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(-5);
    if (lines.length) console.log(`The platform's last log lines (${log}):\n` + lines.map((l) => '    ' + l.slice(0, 300)).join('\n'));
  }
}
