// Opt-in installation of the Metal³ / CAPM3 CRDs into a cluster, for clusters that do not run
// baremetal-operator and CAPM3 (which install their own). Default source: the CRDs vendored in the
// package's crds/: every CRD of baremetal-operator's and CAPM3's kustomize bases (Apache-2.0;
// commits in crds/SOURCES.txt), so an operator started against the cluster later finds every kind
// its controllers watch (docs/HANDOVER.md).
//
//   new Metal3Crds("metal3-crds", {}, { provider })                       // vendored set
//   new Metal3Crds("metal3-crds", { url: "https://.../metal3.io_baremetalhosts.yaml", sha256: "<hex>" })
//   new Metal3Crds("metal3-crds", { files: ["./crds/bmh.yaml"] })
//
// What it applies is cluster-wide and runs with the deployer's rights, so only what was meant is
// applied: every document must be a CustomResourceDefinition (anything else fails the program
// before a resource is registered), a URL must be https and come with the sha256 of its body (the
// body is fetched, checked, and applied from a local copy; a redirect to http is refused).
//
// Two vendored files define the same CRD (metal3machines.infrastructure.cluster.x-k8s.io): the
// CAPM3 release-1.12 base serves v1beta1 only; the main-branch base serves v1beta1 (deprecated)
// and v1beta2 (storage). A base CRD carries no conversion webhook (upstream patches one in), so
// with the main-branch base the apiserver stores v1beta1 objects as v1beta2 without converting
// `image.format` → `image.diskFormat`, and prunes `format` on read. Hence `metal3MachineApi`
// picks the file that matches the Metal3Machine version you emit (emitMachineObjects' default is
// v1beta1, and so is this).
import { createHash } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as yaml from "js-yaml";
import { defaultCrdDir } from "../provider/render";

export interface Metal3CrdsArgs {
    /** Explicit local CRD files; wins over `url` and `dir`. URLs are refused here: use `url` + `sha256`. */
    files?: string[];
    /** One CRD file (or multi-document YAML) by https URL; needs `sha256`. */
    url?: string;
    /** sha256 of the body at `url`, hex (64 characters): what is applied is exactly what you checked. */
    sha256?: string;
    /** A directory of CRD YAML files; default: the package's vendored crds/. */
    dir?: string;
    /** With a directory: which Metal3Machine CRD to install (see above). Default "v1beta1". */
    metal3MachineApi?: "v1beta1" | "v1beta2";
}

const RELEASE_112_M3M = "infrastructure.cluster.x-k8s.io_metal3machines.release-1.12-v1beta1.yaml";
const MAIN_M3M = "infrastructure.cluster.x-k8s.io_metal3machines.yaml";
/** A CRD file is at most a few hundred KB; anything far larger is not what was meant. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

function isUrl(s: string): boolean {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

/**
 * Refuses what Metal3Crds must not apply, naming the property: a URL that is not https, a URL
 * without a well-formed sha256, a URL in `files`.
 */
export function checkCrdArgs(args: Metal3CrdsArgs): void {
    for (const f of args.files ?? []) {
        if (isUrl(f)) throw new Error(`Metal3Crds: files: "${f}" is a URL; give it as url with its sha256 (only https, checked against the digest)`);
    }
    if (args.files?.length || args.url === undefined) return;
    let u: URL;
    try {
        u = new URL(args.url);
    } catch {
        throw new Error(`Metal3Crds: url: "${args.url}" is not a URL`);
    }
    if (u.protocol !== "https:")
        throw new Error(`Metal3Crds: url: "${args.url}" is not https; CRDs are applied cluster-wide, so only https with a sha256 digest is accepted`);
    if (!/^[0-9a-f]{64}$/i.test(args.sha256 ?? ""))
        throw new Error(
            `Metal3Crds: sha256: the url needs the sha256 of its body as 64 hex characters (got ${args.sha256 === undefined ? "none" : JSON.stringify(args.sha256)})`,
        );
}

/** The files Metal3Crds installs for these args (exported for tests and for `kube start`); a URL stays a URL. */
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

/** Throws, naming the source and the document, unless every document of `text` is a CRD. */
export function assertOnlyCrds(text: string, source: string): void {
    let docs: unknown[];
    try {
        docs = yaml.loadAll(text);
    } catch (e) {
        throw new Error(`Metal3Crds: ${source}: not YAML: ${(e as Error).message}`);
    }
    let n = 0;
    docs.forEach((d, i) => {
        if (d === null || d === undefined) return;
        const o = d as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
        if (o.kind !== "CustomResourceDefinition" || o.apiVersion !== "apiextensions.k8s.io/v1")
            throw new Error(
                `Metal3Crds: ${source}: document ${i + 1} is ${String(o.apiVersion ?? "?")} ${String(o.kind ?? "?")} ${String(o.metadata?.name ?? "")}`.trimEnd() +
                    `; only apiextensions.k8s.io/v1 CustomResourceDefinitions are applied`,
            );
        n++;
    });
    if (n === 0) throw new Error(`Metal3Crds: ${source}: no CustomResourceDefinition in it`);
}

/**
 * Fetches an https URL synchronously (in a child node process: resources must be declared while
 * the program runs, so they show at preview), refusing redirects away from https and bodies over
 * MAX_BODY_BYTES. The child trusts what this process trusts (NODE_EXTRA_CA_CERTS is inherited).
 */
function fetchHttps(url: string): Buffer {
    const script = `
    const [first, max] = [process.argv[1], Number(process.argv[2])];
    (async () => {
      let url = first;
      for (let hop = 0; ; hop++) {
        const r = await fetch(url, { redirect: "manual" });
        if (r.status >= 300 && r.status < 400 && r.headers.get("location")) {
          const next = new URL(r.headers.get("location"), url).href;
          if (!next.startsWith("https://")) throw new Error("redirected to " + next + ", which is not https");
          if (hop >= 5) throw new Error("more than 5 redirects");
          url = next;
          continue;
        }
        if (!r.ok) throw new Error("HTTP " + r.status);
        const b = Buffer.from(await r.arrayBuffer());
        if (b.length > max) throw new Error("body over " + max + " bytes");
        process.stdout.write(b);
        return;
      }
    })().catch((e) => { process.stderr.write(e && e.cause ? e.message + ": " + e.cause.message : String(e && e.message || e)); process.exit(1); });`;
    try {
        return execFileSync(process.execPath, ["-e", script, url, String(MAX_BODY_BYTES)], {
            maxBuffer: MAX_BODY_BYTES + 1024,
            timeout: 120_000,
            stdio: ["ignore", "pipe", "pipe"],
        });
    } catch (e) {
        const err = e as { stderr?: Buffer; message: string };
        throw new Error(`Metal3Crds: url: fetching ${url} failed: ${err.stderr?.toString().trim() || err.message}`);
    }
}

/** The local file to apply for a verified URL: the checked body, kept under the OS temp dir by digest. */
function verifiedCopy(url: string, sha256: string): string {
    const body = fetchHttps(url);
    const got = createHash("sha256").update(body).digest("hex");
    if (got !== sha256.toLowerCase()) throw new Error(`Metal3Crds: sha256: ${url} has sha256 ${got}, not the ${sha256.toLowerCase()} given; nothing applied`);
    const text = body.toString("utf8");
    assertOnlyCrds(text, url);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-crds-"));
    // Named as the URL's file, so the ConfigFile's resource name is the same as for a local copy.
    const file = path.join(dir, path.basename(new URL(url).pathname) || "crds.yaml");
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
}

/**
 * The local files Metal3Crds applies, each checked: args as checkCrdArgs says, a URL fetched and
 * matched against its sha256, every document a CRD. `base` names the ConfigFile. Throws before
 * anything is registered.
 */
export function verifiedCrdSources(args: Metal3CrdsArgs = {}): Array<{ file: string; base: string }> {
    checkCrdArgs(args);
    return metal3CrdFiles(args).map((file) => {
        if (isUrl(file)) return { file: verifiedCopy(file, args.sha256!), base: path.basename(new URL(file).pathname) };
        assertOnlyCrds(fs.readFileSync(file, "utf8"), file);
        return { file, base: path.basename(file) };
    });
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
        const sources = verifiedCrdSources(args);
        // A second guard at registration: whatever ConfigFile parses must still be a CRD.
        const onlyCrds = (o: { kind?: string; metadata?: { name?: string } }) => {
            if (o?.kind !== "CustomResourceDefinition")
                throw new Error(`Metal3Crds: ${o?.kind ?? "a document"} ${o?.metadata?.name ?? ""} is not a CustomResourceDefinition`);
        };
        this.configFiles = sources.map(
            ({ file, base }) =>
                new k8s.yaml.ConfigFile(
                    `${name}-${base.replace(/\.ya?ml$/, "")}`,
                    { file, resourcePrefix: name, transformations: [onlyCrds] },
                    { parent: this },
                ),
        );
        this.registerOutputs({});
    }
}
