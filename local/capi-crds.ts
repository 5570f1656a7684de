// Cluster API's own CRDs (Machine, Cluster) for the local API server of the tests and the demo.
// They are not Metal³ CRDs and the package does not ship them (a management cluster runs Cluster
// API, which installs its own): the repository vendors them in crds/cluster-api/, copied from the
// sigs.k8s.io/cluster-api module at the release named here (crds/SOURCES.txt).
import * as fs from "fs";
import * as path from "path";
import { defaultCrdDir } from "../provider/render";

/** The Cluster API release whose CRDs serve both cluster.x-k8s.io/v1beta1 and v1beta2. */
export const CAPI_VERSION = "v1.14.2";

const CRD_FILES = ["cluster.x-k8s.io_machines.yaml", "cluster.x-k8s.io_clusters.yaml"];

/** Paths of the vendored Cluster API Machine and Cluster CRDs (a checkout of the repository only). */
export function capiCrdFiles(): string[] {
    const dir = path.join(defaultCrdDir(), "cluster-api");
    const files = CRD_FILES.map((f) => path.join(dir, f));
    for (const f of files) {
        if (!fs.existsSync(f))
            throw new Error(`${f} is missing: Cluster API ${CAPI_VERSION}'s CRDs are vendored in the repository, not shipped in the npm package`);
    }
    return files;
}

/**
 * What `kube start --crds` installs when given no source: the package's crds/ (every CRD of
 * baremetal-operator's and CAPM3's bases, which their controllers need to start) and, in a
 * checkout, Cluster API's Machine/Cluster CRDs. In the directory the main-branch Metal3Machine
 * CRD (v1beta1 + v1beta2) sorts after the release-1.12 one and wins (installCrds keeps the last).
 */
export function operatorCrdSources(): string[] {
    const dir = defaultCrdDir();
    const capi = path.join(dir, "cluster-api");
    return fs.existsSync(capi) ? [dir, capi] : [dir];
}
