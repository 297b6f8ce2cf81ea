/** The mock subgraphs as a process of their own: prints `ready <urls as JSON>` once listening. */
import { startMockSubgraphs } from './mock-subgraphs';

const mocks = await startMockSubgraphs();
console.log(`ready ${JSON.stringify(mocks.urls)}`);
process.on('SIGTERM', () => void mocks.close().then(() => process.exit(0)));
