/** What a graph node's dot shows: a Flux object's state, a workload's health, or a reference that is not there. */
export type NodeStatus = 'ready' | 'progressing' | 'failed' | 'suspended' | 'unknown' | 'missing';
