import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Stack = { url: string; vars: Record<string, string>; proc: ChildProcess; dir: string };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// startStack runs `make run`'s binary on a free port and resolves once it
// prints its ready line, with the variables of its env file (the demo
// tokens). The browser tests never reuse a developer's running stack.
export function startStack(...extra: string[]): Promise<Stack> {
  const bin = join(root, 'bin/mercato-local');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run the tests with make test-e2e, which builds it`);
  const dir = mkdtempSync(join(tmpdir(), 'mercato-e2e-'));
  const env = join(dir, 'local.env');
  const log = openSync(join(dir, 'stack.log'), 'w');
  const proc = spawn(bin, ['-addr', '127.0.0.1:0', '-template', join(root, 'template.yaml'), '-env-file', env, '-log-level', 'warn', ...extra], {
    cwd: root,
    stdio: ['ignore', 'pipe', log],
  });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the stack was not ready in 90 s (log: ${dir}/stack.log)`)), 90_000);
    let out = '';
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^mercato ready in [0-9.]+s: API (http:\/\/\S+) /m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      ok({ url: m[1], vars: readEnv(env), proc, dir });
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the stack exited (${code}) before it was ready (log: ${dir}/stack.log)`));
    });
  });
}

function readEnv(path: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^(?:export )?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return vars;
}

export function stopStack(s: Stack): Promise<void> {
  return new Promise((ok) => {
    if (s.proc.exitCode !== null) return ok();
    s.proc.on('exit', () => ok());
    s.proc.kill('SIGTERM');
  });
}
