// The CRDs the render tests judge against: the package's vendored crds/ (copied verbatim from
// upstream at the commits in crds/SOURCES.txt), the very files the product ships and installs.
import { capiCrdFiles } from "../../local/capi-crds";
import { CrdSchemas, defaultCrdDir, packageRoot } from "../../provider/render";

export const repoRoot = packageRoot();
export const crdDir = defaultCrdDir();

let loaded: CrdSchemas | undefined;
export function crds(): CrdSchemas {
    return (loaded ??= CrdSchemas.load(crdDir));
}

let capi: CrdSchemas | undefined;
/** Cluster API's own Machine and Cluster CRDs (not among the Metal³ CRDs), vendored in crds/cluster-api/. */
export function capiCrds(): CrdSchemas {
    return (capi ??= CrdSchemas.loadFiles(capiCrdFiles()));
}
