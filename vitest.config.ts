import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // a forgotten .only must not pass CI with most of the suite unrun
    allowOnly: false,
    env: { GRAPHILE_ENV: 'test' },
  },
});
