import { describe, expect, it } from 'vitest';
import { levelPlanNode, levelQueryPlan } from './query-plan-levels';

const fetch = (service: string) => ({ kind: 'Fetch', serviceName: service });
const flatten = (service: string) => ({ kind: 'Flatten', path: ['x'], node: fetch(service) });

describe('levelPlanNode', () => {
  it('starts together the fetches of parallel branches that sit at the same depth', () => {
    const plan = {
      kind: 'Parallel',
      nodes: [
        { kind: 'Sequence', nodes: [fetch('accounts'), flatten('reviews'), flatten('products')] },
        { kind: 'Sequence', nodes: [fetch('products'), flatten('reviews')] },
      ],
    };
    expect(levelPlanNode(plan)).toEqual({
      kind: 'Sequence',
      nodes: [
        { kind: 'Parallel', nodes: [fetch('accounts'), fetch('products')] },
        { kind: 'Parallel', nodes: [flatten('reviews'), flatten('reviews')] },
        flatten('products'),
      ],
    });
  });

  it('keeps every fetch after the ones its sequence put before it', () => {
    const plan = { kind: 'Sequence', nodes: [fetch('a'), { kind: 'Parallel', nodes: [flatten('b'), { kind: 'Sequence', nodes: [flatten('c'), flatten('d')] }] }] };
    expect(levelPlanNode(plan)).toEqual({
      kind: 'Sequence',
      nodes: [fetch('a'), { kind: 'Parallel', nodes: [flatten('b'), flatten('c')] }, flatten('d')],
    });
  });

  it('leaves plans with conditions or defer as they are', () => {
    const plan = { kind: 'Sequence', nodes: [fetch('a'), { kind: 'Condition', condition: 'v' }] };
    expect(levelPlanNode(plan)).toBe(plan);
    const deferred = { kind: 'Defer', primary: {}, deferred: [] };
    expect(levelPlanNode(deferred)).toBe(deferred);
  });

  it('leaves a single fetch as it is', () => {
    const single = fetch('a');
    expect(levelPlanNode(single)).toBe(single);
  });
});

describe('levelQueryPlan', () => {
  it('rearranges a plan once, however often it is resolved', () => {
    const plan = { node: { kind: 'Parallel', nodes: [{ kind: 'Sequence', nodes: [fetch('a'), flatten('b')] }, fetch('c')] } };
    levelQueryPlan(plan);
    const once = plan.node;
    levelQueryPlan(plan);
    expect(plan.node).toBe(once);
    expect(plan.node).toEqual({ kind: 'Sequence', nodes: [{ kind: 'Parallel', nodes: [fetch('a'), fetch('c')] }, flatten('b')] });
  });
});
