// Node and key names shared by the placement tests.
export const names = (n: number, prefix = 'node-'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
export const keys = (n: number, prefix = 'key:'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
