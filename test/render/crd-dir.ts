// Which CRDs the render tests judge against: the upstream copies in ../shared/metal3/crds when this
// checkout sits beside them, else the package's vendored crds/ (a clean clone elsewhere).
import * as fs from "fs";
import * as path from "path";
import { CrdSchemas, defaultCrdDir, packageRoot } from "../../provider/render";

export const repoRoot = packageRoot();
export const sharedCrdDir = path.resolve(repoRoot, "../shared/metal3/crds");
export const vendoredCrdDir = defaultCrdDir();
export const crdDir = fs.existsSync(path.join(sharedCrdDir, "metal3.io_baremetalhosts.yaml")) ? sharedCrdDir : vendoredCrdDir;

let loaded: CrdSchemas | undefined;
export function crds(): CrdSchemas {
  return (loaded ??= CrdSchemas.load(crdDir));
}

let capi: CrdSchemas | undefined;
/**
 * Cluster API's own Machine CRD (not among the Metal³ CRDs): from the sigs.k8s.io/cluster-api Go
 * module, fetched through the Go module proxy by local/capi-crds.ts. Throws when go cannot get it.
 */
export function capiCrds(): CrdSchemas {
  if (!capi) {
    const { capiCrdFiles } = require("../../local/capi-crds") as typeof import("../../local/capi-crds");
    capi = CrdSchemas.loadFiles(capiCrdFiles());
  }
  return capi;
}
