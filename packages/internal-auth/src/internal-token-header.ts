/** The header that carries an internal token from one service to another. */
export const INTERNAL_TOKEN_HEADER = 'x-internal-token';
