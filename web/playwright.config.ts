import { defineConfig } from '@playwright/test';

// The browser tests drive Debian's Chromium (no browser download): set
// CHROMIUM to use another binary. Each run starts its own platform
// (bin/mercato-local on a free port, see e2e/stack.ts).
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'e2e-output/results',
  timeout: 120_000,
  expect: { timeout: 20_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list'], ['./e2e/failures.ts']],
  globalSetup: './e2e/global-setup.ts',
  use: {
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
