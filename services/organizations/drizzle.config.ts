import { defineConfig } from 'drizzle-kit';

// Offline generation only: `drizzle-kit generate` diffs src/data/schema.ts against drizzle/.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/data/schema.ts',
  out: './drizzle',
});
