/**
 * The EntityTable items the AuditLog stream consumer keeps (world ids never contain `#`): one
 * place for their keys, which the adapters write and the infrastructure's least-privilege
 * policies name.
 */
export const auditProjectionKeys = {
  /** The last verified journal entry of a world, and its first break if any. */
  chain: (worldId: string) => `chain#${worldId}`,
  leaderboard: (worldId: string) => `leaderboard#${worldId}`,
} as const;
