/** The org policy as it is stored: the top of the hierarchical settings (access/policy.ts evaluates it). */
export interface OrgPolicy {
  readonly orgId: string;
  /** 'mapped': members come from mapped groups; 'all_provisioned': every active provisioned user is a member. */
  readonly membership: 'mapped' | 'all_provisioned';
  readonly scopeCatalog: { readonly resources: readonly string[]; readonly actions: readonly string[] } | null;
  /** Null means every scope (the FoundriesFactory default for a user in no team). */
  readonly defaultUserScopes: readonly string[] | null;
  readonly allowedScopes: readonly string[] | null;
  readonly deniedScopes: readonly string[] | null;
  readonly version: number;
  readonly updatedAt: string;
}
