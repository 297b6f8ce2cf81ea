/** A JSON object: not null, not an array (GraphQL bodies, answers and entities are these). */
export const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
