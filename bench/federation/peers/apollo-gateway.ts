/**
 * Stock Apollo Gateway on Apollo Server, as its documentation starts it: the supergraph file
 * named by argv[2], standalone HTTP server on PORT. Nothing tuned: this is the baseline row.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const gateway = new ApolloGateway({ supergraphSdl: readFileSync(process.argv[2]!, 'utf8') });
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT), host: '127.0.0.1' } });
console.log(`ready ${url}`);
