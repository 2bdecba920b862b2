// The memory interfaces components use, defined in spec/common/memory.ts; re-exported here (same
// declarations, not copies) for the modules that import them from this path.
export * from '../common/memory.ts';
