import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property tests and real-image tests do real work; keep single tests bounded instead.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
