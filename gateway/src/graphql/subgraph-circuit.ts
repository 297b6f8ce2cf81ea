import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { isSubgraphFailure, subgraphUnavailable } from './subgraph-failure';

export type CircuitStateName = 'closed' | 'open' | 'half_open';

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open',
};

export interface CircuitSettings {
  /** Consecutive failures (timeouts, unreachable, 5xx) that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses at once before letting one trial request through. */
  resetMs: number;
}

/**
 * One circuit breaker per subgraph (cockatiel): after `failureThreshold` consecutive failures the
 * gateway stops waiting on that subgraph and answers its part of every query at once with
 * SUBGRAPH_UNAVAILABLE `gateway:subgraph_circuit_open`; after `resetMs` one request tries
 * again, and its success closes the circuit. Client mistakes (4xx) never count.
 */
export function createSubgraphCircuit(subgraph: string, settings: CircuitSettings, onStateChange: (state: CircuitStateName) => void) {
  const policy = circuitBreaker(handleWhen(isSubgraphFailure), {
    halfOpenAfter: settings.resetMs,
    breaker: new ConsecutiveBreaker(settings.failureThreshold),
  });
  policy.onStateChange((state) => onStateChange(STATE_NAMES[state]));

  return {
    state: (): CircuitStateName => STATE_NAMES[policy.state],
    /** Runs one subgraph request; `attempt` must throw errors already described for the client. */
    async run<T>(attempt: () => Promise<T>, path: readonly (string | number)[] | undefined): Promise<T> {
      try {
        return await policy.execute(attempt);
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          throw subgraphUnavailable(subgraph, 'circuit_open', `it failed ${settings.failureThreshold} times in a row; retrying after ${settings.resetMs} ms`, path);
        }
        throw error;
      }
    },
  };
}

export type SubgraphCircuit = ReturnType<typeof createSubgraphCircuit>;
