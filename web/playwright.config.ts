import { defineConfig } from '@playwright/test';

// The servers are started by e2e/run.mjs (`npm run e2e`), which passes their
// addresses in the environment.
const baseURL = process.env.JARVIS_E2E_URL || 'http://127.0.0.1:8080';
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export default defineConfig({
  testDir: './e2e',
  testMatch: /.*\.spec\.ts$/,
  outputDir: './e2e/.tmp/results',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // In CI a stray test.only would run one test and call the suite passed; a skipped test fails any run.
  forbidOnly: Boolean(process.env.CI),
  reporter: [['list'], ['./e2e/no-skips.ts']],
  use: {
    baseURL,
    browserName: 'chromium',
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
