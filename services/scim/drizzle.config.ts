import { defineConfig } from 'drizzle-kit';

// Offline generation only: `drizzle-kit generate` diffs src/core/resources/resource.tables.ts against drizzle/.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/core/resources/resource.tables.ts',
  out: './drizzle',
});
