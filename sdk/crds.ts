// Opt-in installation of the Metal³ / CAPM3 CRDs into a cluster, for clusters that do not run
// baremetal-operator and CAPM3 (which install their own). Default source: the CRDs vendored in the
// package's crds/ (upstream bases, Apache-2.0; commits in crds/SOURCES.txt).
//
//   new Metal3Crds("metal3-crds", {}, { provider })                       // vendored set
//   new Metal3Crds("metal3-crds", { url: "https://.../metal3.io_baremetalhosts.yaml" })
//   new Metal3Crds("metal3-crds", { files: ["./crds/bmh.yaml"] })
//
// Two vendored files define the same CRD (metal3machines.infrastructure.cluster.x-k8s.io): the
// CAPM3 release-1.12 base serves v1beta1 only; the main-branch base serves v1beta1 (deprecated)
// and v1beta2 (storage). A base CRD carries no conversion webhook (upstream patches one in), so
// with the main-branch base the apiserver stores v1beta1 objects as v1beta2 without converting
// `image.format` → `image.diskFormat`, and prunes `format` on read. Hence `metal3MachineApi`
// picks the file that matches the Metal3Machine version you emit (emitMachineObjects' default is
// v1beta1, and so is this).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { defaultCrdDir } from "../provider/render";

export interface Metal3CrdsArgs {
  /** Explicit CRD files (paths or URLs); wins over `url` and `dir`. */
  files?: string[];
  /** One CRD file (or multi-document YAML) by URL. */
  url?: string;
  /** A directory of CRD YAML files; default: the package's vendored crds/. */
  dir?: string;
  /** With a directory: which Metal3Machine CRD to install (see above). Default "v1beta1". */
  metal3MachineApi?: "v1beta1" | "v1beta2";
}

const RELEASE_112_M3M = "infrastructure.cluster.x-k8s.io_metal3machines.release-1.12-v1beta1.yaml";
const MAIN_M3M = "infrastructure.cluster.x-k8s.io_metal3machines.yaml";

/** The files Metal3Crds installs for these args (exported for tests and for `kube start`). */
export function metal3CrdFiles(args: Metal3CrdsArgs = {}): string[] {
  if (args.files?.length) return [...args.files];
  if (args.url) return [args.url];
  const dir = args.dir ?? defaultCrdDir();
  const skip = (args.metal3MachineApi ?? "v1beta1") === "v1beta1" ? MAIN_M3M : RELEASE_112_M3M;
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  // Skip the alternative Metal3Machine CRD only when both are present (a user dir may hold one).
  const both = files.includes(MAIN_M3M) && files.includes(RELEASE_112_M3M);
  return files.filter((f) => !(both && f === skip)).map((f) => path.join(dir, f));
}

/**
 * Installs CRDs through `k8s.yaml.ConfigFile`, one child per file. Pass the Kubernetes provider as
 * `opts.provider` (a component hands it to its children). Child resource names are prefixed with
 * `name`, so two instances (e.g. two clusters) do not collide.
 */
export class Metal3Crds extends pulumi.ComponentResource {
  /** The ConfigFile per source file, in install order. */
  readonly configFiles: k8s.yaml.ConfigFile[];

  constructor(name: string, args: Metal3CrdsArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super("pulumi-metal3:index:Metal3Crds", name, {}, opts);
    this.configFiles = metal3CrdFiles(args).map(
      (file) => new k8s.yaml.ConfigFile(`${name}-${path.basename(file).replace(/\.ya?ml$/, "")}`, { file, resourcePrefix: name }, { parent: this }),
    );
    this.registerOutputs({});
  }
}
