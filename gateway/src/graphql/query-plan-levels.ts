/**
 * Query plans rearranged into levels, so that entity batching can merge more fetches.
 *
 * Apollo's planner nests `Sequence` and `Parallel` nodes as the query is shaped: in the
 * benchmark's TestQuery, `users` and `topProducts` each start a sequence, and their `reviews`
 * fetches sit in different branches, started whenever each branch's previous fetch returns. The
 * batcher merges only fetches that start together, so it would see them apart. A plan made of
 * levels (every fetch as early as the fetches it depends on allow; one level after another, the
 * fetches of a level in parallel) starts them together: 16 requests become 8 for TestQuery.
 *
 * Correct because a fetch depends only on the fetches before it in its enclosing sequences, and
 * each of those lands on an earlier level. Plans with anything else (conditions, defer,
 * subscriptions) are left as they are.
 */

interface PlanNode {
  kind: string;
  node?: PlanNode;
  nodes?: PlanNode[];
}

const levelled = new WeakSet<object>();

/** Places `node`'s fetches on levels from `start`; returns the level after its last, or null if unsupported. */
function place(node: PlanNode, start: number, levels: PlanNode[][]): number | null {
  switch (node.kind) {
    case 'Fetch':
    case 'Flatten':
      if (node.kind === 'Flatten' && node.node?.kind !== 'Fetch') return null;
      (levels[start] ??= []).push(node);
      return start + 1;
    case 'Sequence': {
      let next: number | null = start;
      for (const child of node.nodes ?? []) {
        next = place(child, next, levels);
        if (next === null) return null;
      }
      return next;
    }
    case 'Parallel': {
      let end = start;
      for (const child of node.nodes ?? []) {
        const next = place(child, start, levels);
        if (next === null) return null;
        end = Math.max(end, next);
      }
      return end;
    }
    default:
      return null;
  }
}

/** The plan's root node in levels, or the node itself when it cannot be (or need not be) rearranged. */
export function levelPlanNode<N extends PlanNode>(node: N): N | PlanNode {
  const levels: PlanNode[][] = [];
  if (place(node, 0, levels) === null || levels.length === 0) return node;
  const steps = levels.map((level) => (level.length === 1 ? level[0]! : { kind: 'Parallel', nodes: level }));
  return steps.length === 1 ? steps[0]! : { kind: 'Sequence', nodes: steps };
}

/**
 * Rearranges a cached plan in place, once: @apollo/gateway hands every resolved plan (fresh or
 * from its plan cache) to `experimental_didResolveQueryPlan` before executing it, and the cache
 * keeps the same object, so each plan is rearranged the first time it is used.
 */
export function levelQueryPlan(plan: { node?: PlanNode | undefined }): void {
  if (levelled.has(plan)) return;
  levelled.add(plan);
  if (plan.node) plan.node = levelPlanNode(plan.node);
}
