// Cluster API's own CRDs (Machine, Cluster) for the local API server. They are not among the Metal³
// CRDs; they ship inside the `sigs.k8s.io/cluster-api` Go module, which the Go module proxy serves,
// so `go mod download` fetches them into the machine's module cache (outside the clone) once.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** The Cluster API release whose CRDs serve both cluster.x-k8s.io/v1beta1 and v1beta2. */
export const CAPI_VERSION = "v1.14.2";

const CRD_FILES = ["cluster.x-k8s.io_machines.yaml", "cluster.x-k8s.io_clusters.yaml"];

/** Paths of the Cluster API Machine and Cluster CRDs, downloading the module when needed. */
export function capiCrdFiles(version = CAPI_VERSION): string[] {
  let out: string;
  try {
    out = execFileSync("go", ["mod", "download", "-json", `sigs.k8s.io/cluster-api@${version}`], {
      encoding: "utf8",
      env: { ...process.env, GOFLAGS: "-mod=mod" },
      cwd: fs.mkdtempSync(path.join(require("os").tmpdir(), "capi-crds-")),
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e: any) {
    throw new Error(`could not fetch the Cluster API CRDs (sigs.k8s.io/cluster-api@${version}) with go: ${e.stderr || e.message}`);
  }
  const dir = JSON.parse(out).Dir as string;
  const files = CRD_FILES.map((f) => path.join(dir, "core", "config", "crd", "bases", f));
  for (const f of files) if (!fs.existsSync(f)) throw new Error(`Cluster API ${version} has no ${f}`);
  return files;
}
