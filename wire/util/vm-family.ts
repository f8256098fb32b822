/**
 * Azure's quota family of a VM size. CycleCloud's status reports a bucket's family quota
 * (`familyQuotaCoreCount`, ...) but never names the family; a message naming it tells the user
 * which quota to raise (Azure portal > Quotas, or `az vm list-usage --location REGION`).
 *
 * A small table of common HPC and general-purpose sizes, with the names `az vm list-usage` reports
 * (the casing is Azure's own: `StandardNCADSA100v4Family` does start with a capital S). Sizes are
 * matched case-insensitively (CycleCloud's own examples write `Standard_Hc44rs`).
 */
const FAMILIES: readonly (readonly [RegExp, string])[] = [
  [/^Standard_HC\d+rs$/i, "standardHCSFamily"],
  [/^Standard_HB60rs$/i, "standardHBSFamily"],
  [/^Standard_HB\d+rs_v2$/i, "standardHBrsv2Family"],
  [/^Standard_HB\d+(-\d+)?rs_v3$/i, "standardHBv3Family"],
  [/^Standard_HB\d+(-\d+)?rs_v4$/i, "standardHBv4Family"],
  [/^Standard_HX\d+(-\d+)?rs$/i, "standardHXFamily"],
  [/^Standard_F\d+s_v2$/i, "standardFSv2Family"],
  [/^Standard_D\d+s_v3$/i, "standardDSv3Family"],
  [/^Standard_D\d+_v3$/i, "standardDv3Family"],
  [/^Standard_E\d+s_v3$/i, "standardESv3Family"],
  [/^Standard_ND96asr_v4$/i, "standardNDASv4_A100Family"],
  [/^Standard_NC\d+ads_A100_v4$/i, "StandardNCADSA100v4Family"],
];

/** e.g. `Standard_HC44rs` → `standardHCSFamily`; undefined for a size the table does not know. */
export function azureQuotaFamilyOf(machineType: string): string | undefined {
  return FAMILIES.find(([pattern]) => pattern.test(machineType))?.[1];
}
