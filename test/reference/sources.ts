/**
 * The documents the reference tier copies from. Every example file under examples/ and every
 * minimal record names one of these and a section of it.
 */

export interface ReferenceDocument {
  readonly title: string;
  readonly repository: string;
  readonly commit: string;
  readonly path: string;
  /** Where the document is published. */
  readonly url: string;
}

export const DOCUMENTS = {
  /** The CycleCloud 8.x API reference, operations (endpoints, status codes, examples); ms.date 05/13/2026. */
  OPS: {
    title: "CycleCloud API reference (8.x): Operations",
    repository: "MicrosoftDocs/azure-docs",
    commit: "6c47f6a0461d28dc6c2e9e699896a9602c90673e",
    path: "articles/cyclecloud/includes/version-8/api-operations.md",
    url: "https://learn.microsoft.com/azure/cyclecloud/api?view=cyclecloud-8",
  },
  /** The CycleCloud 8.x API reference, resources (models, each field required or optional). */
  RES: {
    title: "CycleCloud API reference (8.x): Resources",
    repository: "MicrosoftDocs/azure-docs",
    commit: "5db9c34dc5f366075b34f36d32ba5abf70bcda4d",
    path: "articles/cyclecloud/includes/version-8/api-resources.md",
    url: "https://learn.microsoft.com/azure/cyclecloud/api?view=cyclecloud-8",
  },
  /** "Using the CycleCloud REST API" (the project's seed document is its Japanese version); ms.date 01/23/2020. */
  HOWTO: {
    title: "Using the CycleCloud REST API",
    repository: "MicrosoftDocs/azure-docs",
    commit: "18de66f4fd79b40307c491ff70b4515a4aeae777",
    path: "articles/cyclecloud/how-to/use-rest-api.md",
    url: "https://learn.microsoft.com/azure/cyclecloud/how-to/use-rest-api",
  },
} as const satisfies Record<string, ReferenceDocument>;

export type DocumentKey = keyof typeof DOCUMENTS;

/** A place in a document: its key, the section (H2 heading) and, for examples, the block's sub-heading. */
export interface SourceRef {
  readonly document: DocumentKey;
  /** The H2 heading, verbatim. */
  readonly section: string;
  /** OPS: the H4 heading above the block ("Request body", "Response 202"); RES: the model's anchor. */
  readonly block?: string;
}

/** "MicrosoftDocs/azure-docs@6c47f6a0 articles/...md § Create cluster nodes › Request body". */
export function describeSource(source: SourceRef): string {
  const doc = DOCUMENTS[source.document];
  const block = source.block === undefined ? "" : ` › ${source.block}`;
  return `${doc.repository}@${doc.commit.slice(0, 8)} ${doc.path} § ${source.section}${block}`;
}
