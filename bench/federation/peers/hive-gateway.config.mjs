/**
 * Hive Gateway as the public benchmarks configure it: the client's Authorization header is
 * forwarded to every subgraph (so identical in-flight subgraph requests are merged only when
 * they carry the same credential, which distinct tokens per request never do).
 */
export const gatewayConfig = {
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
  },
};
