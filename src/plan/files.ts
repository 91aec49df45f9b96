/** Files handed into the werf container (uploaded after create, before start; never written to the host's disk). */
export interface InjectedFile {
  /** Absolute, inside the container. */
  path: string;
  content: Buffer;
  /** e.g. 0o600 */
  mode: number;
  /** Default: the image user's (plan/contract.ts). */
  uid?: number;
  gid?: number;
  /** Never printed: --dry-run/--verbose/doctor show only path, size and "(secret)". */
  secret?: boolean;
}
