// The package as users get it: `npm pack` of this checkout, installed with `npm install` into a
// program directory outside the repository (nothing of the checkout reachable from there), then
// `pulumi preview`, `up` and `destroy` with the real CLI on a file:// backend against the test
// run's real Ironic. Proves that the tarball installs (no install script reaching for files it does
// not ship), carries what the dynamic provider and the CLI load at run time (dist/, crds/), and
// that the language host and the dynamic-provider plugin run the program with the program's own
// @pulumi/pulumi and pulumi-metal3.
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { ensureToolchain } from "../../local/toolchain";
import { IronicClient } from "../../provider/ironic";
import { REPO_ROOT, TestStack } from "./stack";

const run = promisify(execFile);

const PROGRAM = `// A user's program: plain JavaScript, the package from npm.
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3");

const config = new pulumi.Config();
const namespace = config.require("namespace");
const macPrefix = config.require("macPrefix");
const hosts = ["rack-a-0", "rack-a-1"].map(
  (name, i) =>
    new BareMetalHost(name, {
      namespace,
      bmc: { address: "fake://bmc-" + name },
      bootMACAddress: macPrefix + ":00:0" + (i + 1),
      online: false,
      labels: { role: "spare" },
    }),
);
// A host whose name is not a Kubernetes object name must fail the preview (issue 9 §7).
const badName = config.get("badHostName");
if (badName) new BareMetalHost(badName, { namespace, bmc: { address: "fake://bmc-bad" }, online: false });
exports.nodeNames = hosts.map((h) => h.nodeName);
exports.states = hosts.map((h) => h.provisioningState);
`;

/** Files of the tarball, without the leading "package/". */
async function tarballFiles(tarball: string): Promise<string[]> {
    const { stdout } = await run("tar", ["-tzf", tarball], { maxBuffer: 16 * 1024 * 1024 });
    return stdout
        .split("\n")
        .filter(Boolean)
        .map((f) => f.replace(/^package\//, ""));
}

/** Whether `dir` or one of its parents holds node_modules/<name> (what `require` would find). */
function resolvableFrom(dir: string, name: string): boolean {
    try {
        require.resolve(`${name}/package.json`, { paths: [dir] });
        return true;
    } catch {
        return false;
    }
}

describe("e2e: the packed package installed into a program outside the repository", function () {
    const ns = `pkg${Math.random().toString(36).slice(2, 7)}`;
    const macPrefix = `52:54:${Math.floor(Math.random() * 200 + 16).toString(16)}:${Math.floor(Math.random() * 200 + 16).toString(16)}`;
    let workDir: string;
    let programDir: string;
    let tarball: string;
    let client: IronicClient;
    let stack: TestStack | undefined;
    let npmEnv: NodeJS.ProcessEnv;

    const nodesOfStack = async () => (await client.listNodes()).filter((n) => String(n.name ?? "").startsWith(`${ns}~`));

    before(async function () {
        this.timeout(3600_000);
        // npm runs dependencies' install scripts (@pulumi/kubernetes calls `pulumi plugin install`,
        // which would go to the internet): npm gets the PATH from before the toolchain is added.
        npmEnv = { ...process.env, PULUMI_HOME: "" };
        const tc = await ensureToolchain({ skipKubeApiserver: true, log: (s) => process.stderr.write(s + "\n") }); // engine only
        const pulumiOnly = (d: string) => d === tc.binDir || (fs.existsSync(path.join(d, "pulumi")) && !fs.existsSync(path.join(d, "npm")));
        npmEnv.PATH = (process.env.PATH ?? "")
            .split(path.delimiter)
            .filter((d) => !pulumiOnly(d))
            .join(path.delimiter);
        process.env.PATH = `${tc.binDir}${path.delimiter}${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm3-package-e2e-"));
        npmEnv.PULUMI_HOME = path.join(workDir, "pulumi-home-for-npm");
    });

    after(async function () {
        this.timeout(900_000);
        const destroyed = !stack || (await stack.run(["destroy", "--yes"])).code === 0;
        // Kept for a look when its hosts could not be destroyed.
        if (workDir && destroyed) fs.rmSync(workDir, { recursive: true, force: true });
        if (client) await client.close();
    });

    it("`npm pack` ships what users need and no tests, benchmarks or build scripts", async function () {
        this.timeout(300_000);
        const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", workDir], { cwd: REPO_ROOT, env: npmEnv, maxBuffer: 64 * 1024 * 1024 });
        tarball = path.join(workDir, JSON.parse(stdout)[0].filename);
        const files = await tarballFiles(tarball);
        for (const needed of [
            "package.json",
            "README.md",
            "schema.json",
            "bin/pulumi-metal3",
            "dist/sdk/index.js",
            "dist/sdk/index.d.ts",
            "dist/sdk/providers/host.js",
            "dist/cli/main.js",
            "dist/local/ironic.js",
            "crds/metal3.io_baremetalhosts.yaml",
            "crds/SOURCES.txt",
        ]) {
            expect(files, needed).to.include(needed);
        }
        const unwanted = files.filter((f) =>
            /^(dist\/(test|bench)\/|test\/|bench\/|scripts\/|examples\/|\.ci\/|crds\/cluster-api\/)|\.map$|\.ts$(?<!\.d\.ts)/.test(f),
        );
        expect(unwanted).to.deep.equal([]);
        const manifest = JSON.parse((await run("tar", ["-xzOf", tarball, "package/package.json"])).stdout);
        expect(
            Object.keys(manifest.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s)),
            "install-time scripts",
        ).to.deep.equal([]);
    });

    it("`npm install`s into a program directory outside the repository", async function () {
        this.timeout(900_000);
        programDir = path.join(workDir, "program");
        fs.mkdirSync(programDir);
        expect(path.relative(REPO_ROOT, programDir).startsWith("..")).to.equal(true);
        // Nothing of the checkout is reachable from there before the install.
        expect(resolvableFrom(programDir, "@pulumi/pulumi")).to.equal(false);
        expect(resolvableFrom(programDir, "pulumi-metal3")).to.equal(false);
        fs.writeFileSync(
            path.join(programDir, "package.json"),
            JSON.stringify({ name: "bare-metal-spares", private: true, main: "index.js", dependencies: { "pulumi-metal3": `file:${tarball}` } }, null, 2),
        );
        fs.writeFileSync(path.join(programDir, "Pulumi.yaml"), "name: bare-metal-spares\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n");
        fs.writeFileSync(path.join(programDir, "index.js"), PROGRAM);
        // --prefer-offline: the npm cache already holds what the repository's own install fetched.
        await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: programDir, env: npmEnv, maxBuffer: 64 * 1024 * 1024 });

        const installed = fs.realpathSync(path.join(programDir, "node_modules", "pulumi-metal3"));
        expect(installed.startsWith(fs.realpathSync(programDir) + path.sep), installed).to.equal(true);
        // The program's own @pulumi/pulumi, the one the package depends on (exactly one copy).
        expect(require(require.resolve("@pulumi/pulumi/package.json", { paths: [programDir] })).version).to.equal("3.248.0");
        expect(fs.existsSync(path.join(installed, "node_modules", "@pulumi", "pulumi"))).to.equal(false);
    });

    it("the installed `pulumi-metal3` command runs and validates against the shipped CRDs", async function () {
        this.timeout(120_000);
        const bin = path.join(programDir, "node_modules", ".bin", "pulumi-metal3");
        const { stdout } = await run(
            bin,
            ["make-host", "--yaml", "--address", "fake://bmc-x", "--user", "admin", "--password", "pw", "--boot-mac", "52:54:00:00:00:01", "node-x"],
            { cwd: programDir },
        );
        expect(stdout).to.match(/kind: BareMetalHost/);
        expect(stdout).to.match(/name: node-x/);
    });

    it("`pulumi preview` plans the hosts and touches nothing", async function () {
        this.timeout(600_000);
        stack = await TestStack.init(programDir, "dev", path.join(workDir, "backend"));
        await stack.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
        await stack.setConfig("namespace", ns);
        await stack.setConfig("macPrefix", macPrefix);
        const steps = await stack.previewSteps();
        expect(steps.get("rack-a-0")).to.equal("create");
        expect(steps.get("rack-a-1")).to.equal("create");
        expect(await nodesOfStack()).to.have.length(0);
    });

    it("`pulumi preview` refuses a host named UPPER_case, naming the property, before Ironic is touched", async function () {
        this.timeout(600_000);
        await stack!.setConfig("badHostName", "UPPER_case");
        const r = await stack!.run(["preview"]);
        await stack!.must(["config", "rm", "badHostName"]);
        expect(r.code, r.stdout + r.stderr).to.not.equal(0);
        expect(r.stdout + r.stderr).to.match(/UPPER_case[^\n]*\bname\b[^\n]*must be a Kubernetes object name \(DNS-1123 subdomain\)/);
        expect(await nodesOfStack()).to.have.length(0);
    });

    it("`pulumi up` enrols the hosts in Ironic", async function () {
        this.timeout(900_000);
        await stack!.must(["up", "--yes", "--skip-preview"]);
        const nodes = await nodesOfStack();
        expect(nodes.map((n) => String(n.name)).sort()).to.deep.equal([`${ns}~rack-a-0`, `${ns}~rack-a-1`]);
        for (const n of nodes) {
            expect(n.provision_state, String(n.name)).to.equal("available");
            expect(n.power_state, String(n.name)).to.equal("power off");
        }
        const out = await stack!.outputs();
        expect(out.nodeNames).to.deep.equal([`${ns}~rack-a-0`, `${ns}~rack-a-1`]);
        expect(out.states).to.deep.equal(["available", "available"]);
        // The state records the provider as a require of the installed module, not its source: the
        // engine rewrites every resource's record after each step (docs/PERFORMANCE.md).
        const hosts = (await stack!.exportState()).json.deployment.resources.filter((r: any) => r.type === "pulumi-nodejs:dynamic/pulumi-metal3:BareMetalHost");
        expect(hosts).to.have.length(2);
        for (const h of hosts) {
            for (const recorded of [h.inputs.__provider, h.outputs.__provider]) {
                expect(recorded, h.urn).to.include('require("pulumi-metal3/dist/sdk/providers/host-dynamic.js")');
                expect(recorded.length, h.urn).to.be.below(600);
            }
            // Registration runs without stack capture (pauseStackCapture); what the engine records of
            // where the resource was declared, Pulumi takes itself, and it still leads to the program.
            const frames: string[] = (h.stackTrace ?? []).map((f: any) => f.sourcePosition ?? "");
            expect(
                frames.some((p) => /^project:\/\/\/index\.js#\d+,\d+$/.test(p)),
                `${h.urn}: ${JSON.stringify(frames)}`,
            ).to.equal(true);
        }
    });

    it("a stack recorded by an earlier version (the provider's source in its state) previews unchanged, and `up` moves it to the short record", async function () {
        this.timeout(900_000);
        // The earlier record: the provider object serialized by value, as Pulumi records it when it is
        // not a module under node_modules (this checkout's build, seen from the test's directory).
        const { bareMetalHostProvider } = await import("../../sdk/baremetalhost");
        const byValue = (await pulumi.runtime.serializeFunction(() => bareMetalHostProvider, { allowSecrets: true })).text;
        expect(byValue).to.include('require("pulumi-metal3/dist/sdk/providers/host")');
        expect(byValue).to.not.include("host-dynamic");
        const isHost = (r: any) => r.type === "pulumi-nodejs:dynamic/pulumi-metal3:BareMetalHost";
        const exported = (await stack!.exportState()).json;
        for (const r of exported.deployment.resources.filter(isHost)) r.inputs.__provider = r.outputs.__provider = byValue;
        const file = path.join(workDir, "earlier-record.json");
        fs.writeFileSync(file, JSON.stringify(exported));
        await stack!.must(["stack", "import", "--file", file]);
        const nodeStates = async () => (await nodesOfStack()).map((n) => `${n.uuid} ${n.provision_state} ${n.power_state}`).sort();
        const nodesBefore = await nodeStates();

        const plan = JSON.parse((await stack!.must(["preview", "--json", "--diff"])).stdout);
        const changes = Object.entries(plan.changeSummary ?? {}).filter(([op, n]) => op !== "same" && Number(n) > 0);
        expect(changes, JSON.stringify(plan.changeSummary)).to.deep.equal([]);
        expect(plan.changeSummary?.same, JSON.stringify(plan.changeSummary)).to.be.at.least(2);
        await stack!.must(["up", "--yes", "--skip-preview"]);
        expect(await nodeStates()).to.deep.equal(nodesBefore);
        // The inputs now carry the short record; the outputs keep the earlier one until the host's next
        // update, and `destroy` below deletes through it.
        for (const r of (await stack!.exportState()).json.deployment.resources.filter(isHost)) {
            expect(r.inputs.__provider, r.urn).to.include('require("pulumi-metal3/dist/sdk/providers/host-dynamic.js")');
            expect(r.outputs.__provider, r.urn).to.equal(byValue);
        }
    });

    it("the Machine provider is recorded as a require of the installed package and runs from it", async function () {
        this.timeout(120_000);
        // What the dynamic-provider host does with a Machine's recorded provider: load the text, call
        // the handler, call check (zod validation from the installed package, no Ironic).
        const script = `
      const pulumi = require("@pulumi/pulumi");
      const { machineProvider } = require("pulumi-metal3");
      const requireFromString = require(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }));
      (async () => {
        const sf = await pulumi.runtime.serializeFunction(() => machineProvider, { allowSecrets: true });
        const provider = requireFromString(sf.text)[sf.exportName]();
        const image = { url: "http://images.example/disk.qcow2", checksum: "0123abcd" };
        const valid = await provider.check({}, { name: "m0", namespace: "pkg", image, claimOwner: "x" });
        const invalid = await provider.check({}, { name: "m0", namespace: "pkg", claimOwner: "x" });
        console.log(JSON.stringify({ text: sf.text, valid: valid.failures ?? [], invalid: invalid.failures ?? [] }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
        const file = path.join(programDir, "machine-provider-check.js");
        fs.writeFileSync(file, script);
        const { stdout } = await run(process.execPath, [file], { cwd: programDir });
        const r = JSON.parse(stdout);
        expect(r.text).to.include('require("pulumi-metal3/dist/sdk/providers/machine-dynamic.js")');
        expect(r.text.length).to.be.below(600);
        expect(r.valid).to.deep.equal([]);
        expect(r.invalid).to.deep.equal([{ property: "image", reason: "image or customDeploy is required" }]);
    });

    it("`pulumi destroy` removes them from Ironic", async function () {
        this.timeout(900_000);
        await stack!.must(["destroy", "--yes"]);
        expect(await nodesOfStack()).to.deep.equal([]);
    });
});
