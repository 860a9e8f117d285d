import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'src/**/*.test.ts'],
    // The live suite reaches real services; it runs only through `npm run test:live` (LIVE=1).
    exclude: process.env.LIVE ? ['node_modules/**'] : ['tests/live/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: keep file parallelism modest so real Postgres and loopback servers stay responsive.
    maxWorkers: 2,
    globalSetup: ['./tests/support/global-setup.ts'],
    // No test may reach a real Slack or OpenAI: tests point SLACK_API_URL / OPENAI_BASE_URL at stand-ins.
    env: { LOG_LEVEL: 'silent' },
  },
});
