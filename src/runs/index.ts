/**
 * Training run folders without VS Code: discovery and status (discover), incremental JSONL
 * reading (jsonlTail), metric series for charts (metrics) and the smaller run files (parsers).
 */
export * from './discover';
export * from './jsonlTail';
export * from './metrics';
export * from './parsers';
