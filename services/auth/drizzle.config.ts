import { defineConfig } from 'drizzle-kit';

// Offline generation only: `drizzle-kit generate` diffs the tables (each module keeps its own
// `*.tables.ts` next to the code that uses them) against drizzle/.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/**/*.tables.ts',
  out: './drizzle',
});
