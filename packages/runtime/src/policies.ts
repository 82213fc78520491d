import { TrellisError } from '@trellis/sdk';

/** ManagementAction is one entry of `spec.managementPolicies`. */
export const ManagementAction = {
  Observe: 'Observe',
  Create: 'Create',
  Update: 'Update',
  Delete: 'Delete',
  LateInitialize: 'LateInitialize',
  All: '*',
} as const;
export type ManagementAction = (typeof ManagementAction)[keyof typeof ManagementAction];

/** DeletionPolicy is `spec.deletionPolicy` of a (legacy, cluster-style) managed resource. */
export const DeletionPolicy = { Delete: 'Delete', Orphan: 'Orphan' } as const;
export type DeletionPolicy = (typeof DeletionPolicy)[keyof typeof DeletionPolicy];

const O = ManagementAction.Observe;
const C = ManagementAction.Create;
const U = ManagementAction.Update;
const D = ManagementAction.Delete;
const L = ManagementAction.LateInitialize;

/**
 * SupportedManagementPolicies is upstream's allow-list (crossplane-runtime
 * `defaultSupportedManagementPolicies`): any other combination is rejected.
 */
export const supportedManagementPolicies: readonly (readonly string[])[] = [
  [ManagementAction.All],
  [O, C, U, L, D],
  [O],
  [],
  [O, C, U, D],
  [O, C, U, L],
  [O, C, U],
  [O, C, D, L],
  [O, C, L],
  [O, C, D],
  [O, C],
  [O, D],
  [O, U],
  [O, L],
  [O, U, L],
];

/** A PolicyChecker answers what the runtime may do to one managed resource. */
export interface PolicyChecker {
  /** Validate throws RUNTIME_INVALID_POLICY when the combination is not supported. */
  validate(): void;
  isPaused(): boolean;
  shouldCreate(): boolean;
  shouldUpdate(): boolean;
  shouldLateInitialize(): boolean;
  shouldDelete(): boolean;
  /** ShouldOnlyObserve is true for exactly `["Observe"]` (import mode). */
  shouldOnlyObserve(): boolean;
}

/** The code thrown for a management policy outside the allow-list. */
export const RUNTIME_INVALID_POLICY = 'RUNTIME_INVALID_POLICY';

/** PolicyInput is what the resolver reads from a managed resource's spec. */
export interface PolicyInput {
  /** ManagementPolicies from the spec; undefined (field absent) means the default `["*"]`. */
  managementPolicies: readonly string[] | undefined;
  /** DeletionPolicy from the spec; undefined for kinds without the field (v2 namespaced style). */
  deletionPolicy: string | undefined;
}

function sameSet(a: ReadonlySet<string>, b: readonly string[]): boolean {
  const bs = new Set(b);
  return a.size === bs.size && [...a].every((x) => bs.has(x));
}

/**
 * NewPolicyChecker returns upstream's management-policy semantics with the feature enabled:
 * Create/Update/LateInitialize/Delete gate their steps, `*` allows everything, an empty list
 * pauses. When `deletionPolicy` is present (legacy resources) deletion follows upstream's
 * LegacyManagementPoliciesResolver: delete if deletionPolicy is Delete and the policies contain
 * Delete or `*`, or if the policies are non-default and contain Delete; otherwise orphan.
 */
export function newPolicyChecker(input: PolicyInput): PolicyChecker {
  const raw = input.managementPolicies ?? [ManagementAction.All];
  const set = new Set(raw);
  const has = (...actions: string[]): boolean => actions.some((a) => set.has(a));
  const isDefault = sameSet(set, [ManagementAction.All]);
  return {
    validate() {
      const unknown = raw.filter((a) => !Object.values(ManagementAction).includes(a as ManagementAction));
      if (unknown.length > 0 || !supportedManagementPolicies.some((p) => sameSet(set, p))) {
        const shown = JSON.stringify([...set].sort());
        throw new TrellisError(
          RUNTIME_INVALID_POLICY,
          `spec.managementPolicies is set to ${shown}, which is not a supported combination; use ["*"], ["Observe"] or one of the combinations in docs/providers.md`,
          { details: { field: 'spec.managementPolicies', value: [...set] } },
        );
      }
      if (input.deletionPolicy !== undefined && !Object.values(DeletionPolicy).includes(input.deletionPolicy as DeletionPolicy)) {
        throw new TrellisError(RUNTIME_INVALID_POLICY, `spec.deletionPolicy is "${input.deletionPolicy}", expected "Delete" or "Orphan"`, {
          details: { field: 'spec.deletionPolicy', value: input.deletionPolicy },
        });
      }
    },
    isPaused: () => set.size === 0,
    shouldCreate: () => has(ManagementAction.Create, ManagementAction.All),
    shouldUpdate: () => has(ManagementAction.Update, ManagementAction.All),
    shouldLateInitialize: () => has(ManagementAction.LateInitialize, ManagementAction.All),
    shouldOnlyObserve: () => sameSet(set, [ManagementAction.Observe]),
    shouldDelete() {
      if (input.deletionPolicy === undefined) return has(ManagementAction.Delete, ManagementAction.All);
      if (input.deletionPolicy === DeletionPolicy.Delete && has(ManagementAction.Delete, ManagementAction.All)) return true;
      return !isDefault && set.has(ManagementAction.Delete);
    },
  };
}
