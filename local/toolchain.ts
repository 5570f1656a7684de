// The Pulumi toolchain this project runs against, built from Go modules once per machine and
// cached: `pulumi` (CLI/engine), `pulumi-resource-kubernetes` (the provider behind
// @pulumi/kubernetes) and `kube-apiserver`, plus two small launchers of our own
// (`pulumi-language-nodejs`, `pulumi-resource-pulumi-nodejs`). Everything ends up in one bin
// directory that callers put on PATH (the engine finds plugins on PATH, whatever their version).
//
// Layout under `${XDG_CACHE_HOME:-~/.cache}/pulumi-metal3/toolchain/`:
//   work/<name>-<version>/   the wrapper Go module (go.mod, generated sources, build log)
//   <name>-<version>/        the finished binaries (written last, so present = done)
//   bin-<hash>/              symlinks to all of the above + launchers, the dir to put on PATH
// GOMODCACHE/GOCACHE stay where `go env` says (per machine, outside the repo). At most two builds
// run at once: the machines have 2 cores. docs/TOOLCHAIN.md explains each recipe and why it differs from
// upstream's release builds.

import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { acquireCacheLock } from "./cache-lock";
import { yamlLanguageHostRecipe } from "./toolchain/yaml";

export type Logger = (line: string) => void;

/** The CLI and SDK line: the same as the pinned npm @pulumi/pulumi (the last one that supports Node 20). */
export const PULUMI_VERSION = "3.248.0";
/** kube-apiserver: ≤ 1.33 keeps an etcd 3.5 client, which Debian 12's etcd 3.4 serves. */
export const KUBE_VERSION = "1.33.13";

/**
 * Module versions of github.com/pulumi/pulumi-kubernetes/provider/v4 (never tagged: pseudo-versions
 * only), by @pulumi/kubernetes release. The first one the module proxy serves is used; the release's
 * own commit comes first, later entries are fallbacks. On 2026-11-25 the proxy refused the 4.32.0
 * commit (a03ff6ba58d2) and served only f47bc2d6f199 (2026-01-15): see docs/TOOLCHAIN.md.
 */
const KUBERNETES_PROVIDER_MODULE_VERSIONS: Record<string, string[]> = {
    "4.32.0": ["v4.0.0-20260608201737-a03ff6ba58d2"],
};
const KUBERNETES_PROVIDER_FALLBACKS = ["v4.0.0-20260115033456-f47bc2d6f199"];

const KUBERNETES_STAGING_MODULES = [
    "api",
    "apiextensions-apiserver",
    "apimachinery",
    "apiserver",
    "cli-runtime",
    "client-go",
    "cloud-provider",
    "cluster-bootstrap",
    "code-generator",
    "component-base",
    "component-helpers",
    "controller-manager",
    "cri-api",
    "cri-client",
    "csi-translation-lib",
    "dynamic-resource-allocation",
    "endpointslice",
    "externaljwt",
    "kms",
    "kube-aggregator",
    "kube-controller-manager",
    "kube-proxy",
    "kube-scheduler",
    "kubectl",
    "kubelet",
    "metrics",
    "mount-utils",
    "pod-security-admission",
    "sample-apiserver",
    "sample-cli-plugin",
    "sample-controller",
];

export interface Toolchain {
    /** Put this directory first on PATH (see pulumiEnv). */
    binDir: string;
    /** Absolute path of the `pulumi` executable in binDir. */
    pulumi: string;
    /** Binaries compiled by this call (empty when everything was cached). */
    built: string[];
}

export interface EnsureToolchainOptions {
    log?: Logger;
    /** Skip kube-apiserver (e.g. only the engine is needed). Default false. */
    skipKubeApiserver?: boolean;
    /** Project whose node_modules/@pulumi/kubernetes decides the provider version. Default: this repo. */
    projectDir?: string;
}

/** The repo root (this file is dist/local/toolchain.js or local/toolchain.ts). */
export function repoRoot(): string {
    let dir = __dirname;
    while (dir !== path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "local"))) return dir;
        dir = path.dirname(dir);
    }
    throw new Error(`cannot find the pulumi-metal3 repository root above ${__dirname}`);
}

export function toolchainCacheDir(): string {
    const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(cacheHome, "pulumi-metal3", "toolchain");
}

/** Where a binary lands once built: `<cache>/<name>-<version>/<name>`. */
export function installedPath(name: string, version: string): string {
    return path.join(toolchainCacheDir(), `${name}-${version}`, name);
}

function findOnPath(file: string, excludeDir?: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (!dir || (excludeDir && path.resolve(dir).startsWith(excludeDir))) continue;
        const candidate = path.join(dir, file);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) return candidate;
        } catch {
            /* not here */
        }
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------
// Running go

class GoCommandError extends Error {}

/** go processes in flight, so that a failed build can stop its sibling instead of orphaning it. */
const runningGo = new Set<ChildProcess>();
/** Set when one build failed: the other stops at its next go command. */
let abandonBuilds = false;

/** Runs `go args...` in `cwd`, appending everything it prints to `logFile`; throws with the output's tail. */
export function runGo(args: string[], cwd: string, logFile: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
    const env: NodeJS.ProcessEnv = { ...process.env, GOFLAGS: "-buildvcs=false", CGO_ENABLED: "0", ...extraEnv };
    fs.appendFileSync(logFile, `\n$ go ${args.join(" ")}\n`);
    if (abandonBuilds) return Promise.reject(new GoCommandError(`go ${args.join(" ")} not started: another build failed`));
    return new Promise((resolve, reject) => {
        const child = spawn("go", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        runningGo.add(child);
        child.on("exit", () => runningGo.delete(child));
        let output = "";
        const collect = (chunk: Buffer) => {
            output += chunk.toString();
            fs.appendFileSync(logFile, chunk);
        };
        child.stdout.on("data", collect);
        child.stderr.on("data", collect);
        child.on("error", (err) => reject(new GoCommandError(`could not run go (is Go >= 1.26 installed and on PATH?): ${err.message}`)));
        child.on("close", (code) => {
            if (code === 0) return resolve(output);
            const tail = output
                .split("\n")
                .filter((l) => !l.startsWith("go: downloading"))
                .slice(-60)
                .join("\n");
            reject(new GoCommandError(`go ${args.join(" ")} failed in ${cwd} (exit ${code}); full log ${logFile}:\n${tail}`));
        });
    });
}

/** The module directory in GOMODCACHE, downloading it when needed; undefined when the proxy refuses that version. */
async function downloadModule(modulePath: string, version: string, workDir: string, logFile: string): Promise<string | undefined> {
    try {
        const out = await runGo(["mod", "download", "-json", `${modulePath}@${version}`], workDir, logFile);
        const info = JSON.parse(out.slice(out.indexOf("{")));
        return info.Error ? undefined : (info.Dir as string);
    } catch (err) {
        // `go mod download -json` exits 1 with the JSON (and its Error) on stdout.
        const text = (err as Error).message;
        if (/not available|403|404|410|unknown revision|invalid version/i.test(text)) return undefined;
        throw err;
    }
}

// ---------------------------------------------------------------------------------------------
// The recipes

export interface BuildContext {
    log: Logger;
    workDir: string;
    logFile: string;
}

export interface Recipe {
    /** Binary name (also the cache directory's prefix). */
    name: string;
    version: string;
    /** Fills workDir with the wrapper module and builds `workDir/out/<name>`. */
    build(ctx: BuildContext): Promise<void>;
}

export function writeIfChanged(file: string, content: string | Buffer): void {
    try {
        if (Buffer.compare(fs.readFileSync(file), Buffer.from(content)) === 0) return;
    } catch {
        /* missing */
    }
    fs.writeFileSync(file, content);
}

/**
 * go.mod of a wrapper module `pulumi-metal3.local/toolchain/<name>` that builds against the
 * engine's pkg/sdk v3 (plus `requires`), with the one replace of upstream's pkg/go.mod (a
 * clipboard fork): the same build list as the `pulumi` recipe, so its Go build cache serves the
 * other recipes that need pkg/v3 (local/toolchain/yaml.ts, local/toolchain/gosdk.ts).
 */
export function pulumiWrapperGoMod(name: string, requires: string[], tail: string[]): string {
    const version = `v${PULUMI_VERSION}`;
    return [
        `module pulumi-metal3.local/toolchain/${name}`,
        "",
        "go 1.26",
        "",
        "require (",
        ...requires.map((r) => `\t${r}`),
        `\tgithub.com/pulumi/pulumi/pkg/v3 ${version}`,
        `\tgithub.com/pulumi/pulumi/sdk/v3 ${version}`,
        ")",
        "",
        "replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e",
        "",
        ...tail.flatMap((line) => [line, ""]),
    ].join("\n");
}

function pulumiRecipe(): Recipe {
    const version = `v${PULUMI_VERSION}`;
    return {
        name: "pulumi",
        version,
        async build({ workDir, logFile }) {
            // pkg/go.mod replaces sdk/v3 with ../sdk; the wrapper requires the same sdk tag instead, and
            // copies the one other replace (a clipboard fork) so the build list matches upstream's.
            writeIfChanged(path.join(workDir, "go.mod"), pulumiWrapperGoMod("pulumi", [], ["tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"]));
            await runGo(["mod", "tidy"], workDir, logFile);
            const ldflags = `-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${version}`;
            await runGo(
                ["build", "-trimpath", "-tags", "osusergo,grpcnotrace", "-ldflags", ldflags, "-o", "out/pulumi", "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"],
                workDir,
                logFile,
            );
        },
    };
}

/** The @pulumi/kubernetes version the project depends on (its package.json, as installed). */
export function kubernetesSdkVersion(projectDir = repoRoot()): string {
    const file = require.resolve("@pulumi/kubernetes/package.json", { paths: [projectDir] });
    return JSON.parse(fs.readFileSync(file, "utf8")).version;
}

async function kubernetesProviderRecipe(sdkVersion: string, log: Logger): Promise<Recipe> {
    const modulePath = "github.com/pulumi/pulumi-kubernetes/provider/v4";
    const candidates = [...(KUBERNETES_PROVIDER_MODULE_VERSIONS[sdkVersion] ?? []), ...KUBERNETES_PROVIDER_FALLBACKS];
    // The chosen module version is what gets cached; pick it from what is already built first, so
    // a warm run asks the proxy nothing.
    const built = candidates.find((v) => fs.existsSync(installedPath("pulumi-resource-kubernetes", v)));
    let chosen = built;
    let moduleDir: string | undefined;
    if (!chosen) {
        const probeDir = path.join(toolchainCacheDir(), "work");
        fs.mkdirSync(probeDir, { recursive: true });
        const probeLog = path.join(probeDir, "module-probe.log");
        for (const candidate of candidates) {
            moduleDir = await downloadModule(modulePath, candidate, probeDir, probeLog);
            if (moduleDir) {
                chosen = candidate;
                break;
            }
            log(`toolchain: the module proxy does not serve ${modulePath}@${candidate}`);
        }
        if (!chosen)
            throw new Error(`no version of ${modulePath} for @pulumi/kubernetes ${sdkVersion} is served by the module proxy (tried ${candidates.join(", ")})`);
    }
    const exact = (KUBERNETES_PROVIDER_MODULE_VERSIONS[sdkVersion] ?? []).includes(chosen);
    if (!exact) {
        log(
            `toolchain: WARNING: @pulumi/kubernetes is ${sdkVersion} but its provider commit is not available; ` +
                `using ${modulePath}@${chosen} (the engine takes the provider from PATH whatever version is requested)`,
        );
    }
    // Stamped as the module version without "v" (upstream stamps "4.32.0" for a release).
    const stamp = exact ? sdkVersion : chosen.replace(/^v/, "");
    const version = chosen;
    return {
        name: "pulumi-resource-kubernetes",
        version,
        async build({ workDir, logFile }) {
            const dir = moduleDir ?? (await downloadModule(modulePath, version, workDir, logFile));
            if (!dir) throw new Error(`${modulePath}@${version} is no longer served by the module proxy`);
            // The upstream main package embeds schema-embed.json / terraform-mapping-embed.json, which
            // `go generate` makes and which are not in the module zip; the module cache is read-only,
            // so the main package is rebuilt inside the wrapper with the embeds generated here.
            const upstreamMain = path.join(dir, "cmd", "pulumi-resource-kubernetes");
            const mainDir = path.join(workDir, "cmd", "pulumi-resource-kubernetes");
            fs.mkdirSync(mainDir, { recursive: true });
            const schema = JSON.parse(fs.readFileSync(path.join(upstreamMain, "schema.json"), "utf8"));
            schema.version = stamp;
            writeIfChanged(path.join(mainDir, "schema-embed.json"), JSON.stringify(schema));
            const tfMapping = JSON.parse(fs.readFileSync(path.join(upstreamMain, "terraform-mapping.json"), "utf8"));
            writeIfChanged(path.join(mainDir, "terraform-mapping-embed.json"), JSON.stringify(tfMapping));
            // Later releases also embed a committed helm-mapping.json and Serve takes it as a 5th argument.
            const hasHelmMapping = fs.existsSync(path.join(upstreamMain, "helm-mapping.json"));
            if (hasHelmMapping) fs.copyFileSync(path.join(upstreamMain, "helm-mapping.json"), path.join(mainDir, "helm-mapping.json"));
            const template = fs.readFileSync(path.join(repoRoot(), "local", "toolchain", "kubernetes-provider-main.go.txt"), "utf8");
            writeIfChanged(path.join(mainDir, "main.go"), renderProviderMain(template, hasHelmMapping));
            writeIfChanged(
                path.join(workDir, "go.mod"),
                ["module pulumi-metal3.local/toolchain/pulumi-resource-kubernetes", "", "go 1.26", "", `require ${modulePath} ${version}`, ""].join("\n"),
            );
            await runGo(["mod", "tidy"], workDir, logFile);
            const ldflags = `-w -s -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${stamp}`;
            await runGo(
                ["build", "-trimpath", "-ldflags", ldflags, "-o", "out/pulumi-resource-kubernetes", "./cmd/pulumi-resource-kubernetes"],
                workDir,
                logFile,
            );
        },
    };
}

/** The template marks the helm-mapping lines with `// helm:`; keep them (uncommented) only when the release has it. */
function renderProviderMain(template: string, hasHelmMapping: boolean): string {
    return template
        .split("\n")
        .flatMap((line) => {
            const m = /^(\s*)\/\/ helm: (.*)$/.exec(line);
            if (m) return hasHelmMapping ? [m[1] + m[2]] : [];
            if (/\/\/ no-helm$/.test(line)) return hasHelmMapping ? [] : [line.replace(/\s*\/\/ no-helm$/, "")];
            return [line];
        })
        .join("\n");
}

function kubeApiserverRecipe(): Recipe {
    const version = `v${KUBE_VERSION}`;
    const [major, minor] = KUBE_VERSION.split(".");
    const stagingVersion = `v0.${minor}.${KUBE_VERSION.split(".")[2]}`;
    return {
        name: "kube-apiserver",
        version,
        async build({ workDir, logFile }) {
            // k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
            // ./staging/...; a wrapper must point each at its published v0.<minor>.<patch>.
            const lines = [
                "module pulumi-metal3.local/toolchain/kube-apiserver",
                "",
                "go 1.26",
                "",
                // upstream 1.33's own GODEBUG defaults (the wrapper's go line would otherwise pick 1.26's)
                "godebug default=go1.24",
                "",
                `require k8s.io/kubernetes ${version}`,
                "",
                "replace (",
                ...KUBERNETES_STAGING_MODULES.map((m) => `\tk8s.io/${m} => k8s.io/${m} ${stagingVersion}`),
                ")",
                "",
                "tool k8s.io/kubernetes/cmd/kube-apiserver",
                "",
            ];
            writeIfChanged(path.join(workDir, "go.mod"), lines.join("\n"));
            await runGo(["mod", "tidy"], workDir, logFile);
            // Unstamped, /version says v0.0.0-master and the Kubernetes provider would take the
            // server for an ancient one; stamp what hack/lib/version.sh stamps.
            const flags = ["-w", "-s"];
            for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
                flags.push(`-X ${pkg}.gitVersion=${version}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`);
            }
            await runGo(
                ["build", "-trimpath", "-ldflags", flags.join(" "), "-o", "out/kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver"],
                workDir,
                logFile,
            );
        },
    };
}

/** One build of a recipe at a time across processes (local/cache-lock.ts); undefined when the binary appeared while waiting. */
function lockRecipe(recipe: Recipe, log: Logger): Promise<(() => void) | undefined> {
    const lockDir = path.join(toolchainCacheDir(), "locks", `${recipe.name}-${recipe.version}`);
    return acquireCacheLock(
        lockDir,
        () => fs.existsSync(installedPath(recipe.name, recipe.version)),
        `${recipe.name} ${recipe.version}`,
        (line) => log(`toolchain: ${line}`),
    );
}

/** Builds a recipe unless its binary is cached; returns true when it compiled something. */
export async function ensureBuilt(recipe: Recipe, log: Logger): Promise<boolean> {
    const target = installedPath(recipe.name, recipe.version);
    if (fs.existsSync(target)) return false;
    const release = await lockRecipe(recipe, log);
    if (!release) return false;
    try {
        if (fs.existsSync(target)) return false;
        return await buildAndInstall(recipe, target, log);
    } finally {
        release();
    }
}

async function buildAndInstall(recipe: Recipe, target: string, log: Logger): Promise<boolean> {
    const workDir = path.join(toolchainCacheDir(), "work", `${recipe.name}-${recipe.version}`);
    fs.mkdirSync(workDir, { recursive: true });
    const logFile = path.join(workDir, "build.log");
    log(`toolchain: building ${recipe.name} ${recipe.version} (log: ${logFile}) ...`);
    const started = Date.now();
    await recipe.build({ log, workDir, logFile });
    const finalDir = path.dirname(target);
    const tmpDir = `${finalDir}.tmp-${process.pid}`;
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.mkdirSync(tmpDir, { recursive: true });
    fs.copyFileSync(path.join(workDir, "out", recipe.name), path.join(tmpDir, recipe.name));
    fs.chmodSync(path.join(tmpDir, recipe.name), 0o755);
    fs.rmSync(finalDir, { recursive: true, force: true });
    fs.renameSync(tmpDir, finalDir);
    log(`toolchain: built ${recipe.name} ${recipe.version} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Launchers of our own

/** `pulumi-resource-pulumi-nodejs`: the dynamic-provider plugin, resolved from the project dir (the engine's cwd). */
const DYNAMIC_PROVIDER_LAUNCHER = `#!/bin/sh
# Written by pulumi-metal3 (local/toolchain.ts). The engine starts resource plugins in the project
# directory, so @pulumi/pulumi resolves to the project's own copy, as with upstream's launcher.
entry=$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || {
  echo "pulumi-resource-pulumi-nodejs: cannot resolve @pulumi/pulumi/cmd/dynamic-provider from $(pwd); run npm install" >&2
  exit 1
}
exec node "$entry" "$@"
`;

function languageHostLauncher(hostScript: string, what = "Node.js language host (local/toolchain/language-host.ts)"): string {
    return `#!/bin/sh
# Written by pulumi-metal3 (local/toolchain.ts): our ${what}.
exec node ${JSON.stringify(hostScript)} "$@"
`;
}

// ---------------------------------------------------------------------------------------------

/**
 * Symlinks `target` into binDir, except our own `pulumi`, which is hard-linked: the CLI looks for
 * its bundled plugins (language host, dynamic provider) beside its resolved executable and warns
 * when the PATH copy is elsewhere, so `pulumi` must really live in binDir.
 */
function placeInBinDir(binDir: string, name: string, target: string): void {
    const entry = path.join(binDir, name);
    const hardLink = name === "pulumi" && target.startsWith(toolchainCacheDir());
    let current: fs.Stats | undefined;
    try {
        current = fs.lstatSync(entry);
    } catch {
        /* missing */
    }
    if (current) {
        if (hardLink && !current.isSymbolicLink() && current.ino === fs.statSync(target).ino) return;
        if (!hardLink && current.isSymbolicLink() && fs.readlinkSync(entry) === target) return;
        fs.rmSync(entry, { force: true });
    }
    if (!hardLink) return fs.symlinkSync(target, entry);
    try {
        fs.linkSync(target, entry);
    } catch {
        fs.copyFileSync(target, entry);
        fs.chmodSync(entry, 0o755);
    }
}

/** Builds what is missing and returns the bin dir holding everything the engine needs. */
export async function ensureToolchain(opts: EnsureToolchainOptions = {}): Promise<Toolchain> {
    const log = opts.log ?? ((line: string) => process.stderr.write(line + "\n"));
    const cacheDir = toolchainCacheDir();
    fs.mkdirSync(cacheDir, { recursive: true });
    const built: string[] = [];
    const started = Date.now();

    // The binaries: name -> absolute path.
    const binaries = new Map<string, string>();
    const ambientPulumi = findOnPath("pulumi", cacheDir);
    if (ambientPulumi) {
        log(`toolchain: using pulumi from PATH: ${ambientPulumi}`);
        binaries.set("pulumi", ambientPulumi);
        const besideIt = path.join(path.dirname(ambientPulumi), "pulumi-language-nodejs");
        if (fs.existsSync(besideIt)) binaries.set("pulumi-language-nodejs", besideIt);
    }

    const recipes: Recipe[] = [];
    if (!ambientPulumi) recipes.push(pulumiRecipe());
    recipes.push(await kubernetesProviderRecipe(kubernetesSdkVersion(opts.projectDir), log));
    if (!opts.skipKubeApiserver) recipes.push(kubeApiserverRecipe());
    recipes.push(yamlLanguageHostRecipe()); // local/toolchain/yaml.ts: runs Pulumi.yaml programs
    // Two builds at a time at most (2-core machines, shared with others). Measured: pulumi and
    // kube-apiserver built side by side both finished within 11 min of starting.
    // The first failure stops the queue and the other build, then is reported as is.
    const queue = [...recipes];
    let firstFailure: unknown;
    const worker = async () => {
        for (let recipe = queue.shift(); recipe; recipe = queue.shift()) {
            try {
                if (await ensureBuilt(recipe, log)) built.push(`${recipe.name}@${recipe.version}`);
            } catch (err) {
                if (firstFailure === undefined) firstFailure = err;
                queue.length = 0;
                abandonBuilds = true;
                for (const child of runningGo) child.kill("SIGTERM");
                throw err;
            }
        }
    };
    abandonBuilds = false;
    await Promise.allSettled([worker(), worker()]);
    abandonBuilds = false;
    if (firstFailure !== undefined) throw firstFailure;
    for (const recipe of recipes) binaries.set(recipe.name, installedPath(recipe.name, recipe.version));

    // The language host and dynamic-provider launchers point into this checkout, so the bin dir is
    // keyed by the checkout too (CI clones elsewhere).
    const hostScript = path.join(repoRoot(), "dist", "local", "toolchain", "language-host.js");
    if (!fs.existsSync(hostScript)) throw new Error(`${hostScript} is missing: build the project first (npx tsc -p tsconfig.json)`);
    const launchers = new Map<string, string>([["pulumi-resource-pulumi-nodejs", DYNAMIC_PROVIDER_LAUNCHER]]);
    if (!binaries.has("pulumi-language-nodejs")) launchers.set("pulumi-language-nodejs", languageHostLauncher(hostScript));
    // Python programs: our host too (the `pulumi` wheel does not ship one; docs/PLUGIN.md).
    const pythonHost = path.join(path.dirname(hostScript), "python-host.js");
    launchers.set("pulumi-language-python", languageHostLauncher(pythonHost, "Python language host (local/toolchain/python-host.ts)"));
    // Go programs: ours as well (the module proxy refuses upstream's pulumi-language-go).
    launchers.set(
        "pulumi-language-go",
        languageHostLauncher(path.join(path.dirname(hostScript), "go-host.js"), "Go language host (local/toolchain/go-host.ts)"),
    );

    const key = crypto
        .createHash("sha256")
        .update(JSON.stringify({ binaries: [...binaries.entries()], launchers: [...launchers.entries()] }))
        .digest("hex")
        .slice(0, 12);
    const binDir = path.join(cacheDir, `bin-${key}`);
    fs.mkdirSync(binDir, { recursive: true });
    for (const [name, target] of binaries) placeInBinDir(binDir, name, target);
    for (const [name, content] of launchers) {
        writeIfChanged(path.join(binDir, name), content);
        fs.chmodSync(path.join(binDir, name), 0o755);
    }
    log(`toolchain: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${built.length ? `built ${built.join(", ")}` : "all cached"})`);
    return { binDir, pulumi: path.join(binDir, "pulumi"), built };
}

/** Just the kube-apiserver binary (for `kube start`): PATH first, else the cached build, else build it. */
export async function ensureKubeApiserver(log: Logger = (l) => process.stderr.write(l + "\n")): Promise<string> {
    const ambient = findOnPath("kube-apiserver", toolchainCacheDir());
    if (ambient) return ambient;
    const recipe = kubeApiserverRecipe();
    await ensureBuilt(recipe, log);
    return installedPath(recipe.name, recipe.version);
}

export interface PulumiEnvOptions {
    /** Directory of the local `file://` state backend. */
    backendDir: string;
    /** PULUMI_HOME (plugins, workspaces); default `<backendDir>/.pulumi-home`. */
    pulumiHome?: string;
    /** Base environment; default process.env. */
    base?: NodeJS.ProcessEnv;
}

/** Passphrase of the local stacks' secrets provider when the environment does not set one. */
export const DEFAULT_LOCAL_PASSPHRASE = "pulumi-metal3-local";

/** The environment `pulumi` needs here: offline, local backend, no plugin downloads. */
export function pulumiEnv(binDir: string, opts: PulumiEnvOptions): NodeJS.ProcessEnv {
    const base = opts.base ?? process.env;
    fs.mkdirSync(opts.backendDir, { recursive: true });
    const pulumiHome = opts.pulumiHome ?? path.join(opts.backendDir, ".pulumi-home");
    fs.mkdirSync(pulumiHome, { recursive: true });
    return {
        ...base,
        PATH: [binDir, base.PATH ?? ""].filter(Boolean).join(path.delimiter),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_BACKEND_URL: `file://${path.resolve(opts.backendDir)}`,
        PULUMI_CONFIG_PASSPHRASE: base.PULUMI_CONFIG_PASSPHRASE ?? DEFAULT_LOCAL_PASSPHRASE,
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_HOME: pulumiHome,
    };
}

/** Versions of what is in a bin dir, for docs and diagnostics. */
export function toolchainVersions(binDir: string): Record<string, string> {
    const run = (cmd: string, args: string[]) => {
        const r = spawnSync(path.join(binDir, cmd), args, { encoding: "utf8", timeout: 30000 });
        return (r.stdout || r.stderr || "").trim().split("\n")[0];
    };
    return {
        pulumi: run("pulumi", ["version"]),
        "kube-apiserver": fs.existsSync(path.join(binDir, "kube-apiserver")) ? run("kube-apiserver", ["--version"]) : "absent",
    };
}
