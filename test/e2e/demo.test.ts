// The README's demo commands as a user runs them: `npm run demo` (scripts/demo.sh: the local Ironic
// with slow fake hardware, the local Kubernetes API with the CRDs, `pulumi up` of examples/quickstart)
// and `npm run demo -- destroy`, including a destroy that fails: it must say so, exit non-zero and
// leave Ironic and the Kubernetes API running with what remains (stopping them would strand the
// nodes, and the next demo would find the stack's resources "unchanged").
//
// The script runs for real, from a directory of links to this checkout (so the stack config file
// it writes, Pulumi.demo.yaml, is not the developer's own) with XDG_CACHE_HOME pointing at a
// temporary cache: the demo's state (backend, Ironic, API server) is the test's, while the toolchain
// and the Ironic environment are linked from the machine's cache instead of being built again.
import { execFile } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureToolchain } from "../../local/toolchain";
import { stateFiles } from "../../local/ironic";
import { dropOperatorIronicSettings } from "../support/hooks";
import { REPO_ROOT } from "./stack";

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
    return new Promise((resolve) => {
        execFile(command, args, { env, cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        });
    });
}

/** What the demo links from the checkout: everything `npm run build` and the quickstart program read. */
const LINKED = [
    "bin",
    "bench",
    "cli",
    "crds",
    "dist",
    "local",
    "node_modules",
    "package.json",
    "package-lock.json",
    "provider",
    "schema.json",
    "scripts",
    "sdk",
    "test",
    "tsconfig.json",
    "Pulumi.yaml",
];
/** The machine's caches the demo would otherwise build again (docs/TOOLCHAIN.md, docs/IRONIC-LOCAL.md). */
const SHARED_CACHES = ["toolchain", "ironic-venv", "venv", "python-venv"];

describe("npm run demo / npm run demo -- destroy (scripts/demo.sh, as the README runs them)", function () {
    this.timeout(1_800_000);
    let checkout: string;
    let cacheHome: string;
    let demoState: string;
    let env: NodeJS.ProcessEnv;
    let ironicUrl: string;
    let auth: string;

    const demo = (...args: string[]) => run("bash", [path.join(checkout, "scripts", "demo.sh"), ...args], env, checkout);
    const cli = (...args: string[]) => run(process.execPath, [path.join(REPO_ROOT, "bin", "pulumi-metal3"), ...args], env, checkout);
    const ironic = async (method: string, urlPath: string, body?: unknown) => {
        const res = await fetch(`${ironicUrl}${urlPath}`, {
            method,
            headers: { Authorization: auth, "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, json: text ? JSON.parse(text) : undefined };
    };
    const demoNodes = async () => {
        const r = await ironic("GET", "/v1/nodes?fields=name,provision_state,maintenance");
        expect(r.status, JSON.stringify(r.json)).to.equal(200);
        return (r.json.nodes as { name: string; provision_state: string }[])
            .filter((n) => n.name.startsWith("metal3~"))
            .map((n) => n.name)
            .sort();
    };

    before(async function () {
        this.timeout(3_600_000);
        const tc = await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        const base = path.join(REPO_ROOT, ".state", "demo-test");
        fs.mkdirSync(base, { recursive: true });
        checkout = fs.mkdtempSync(path.join(base, "checkout-"));
        for (const f of LINKED) fs.symlinkSync(path.join(REPO_ROOT, f), path.join(checkout, f));
        fs.mkdirSync(path.join(checkout, "examples"));
        fs.symlinkSync(path.join(REPO_ROOT, "examples", "quickstart"), path.join(checkout, "examples", "quickstart"));
        cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-demo-cache-"));
        const realCache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-metal3");
        fs.mkdirSync(path.join(cacheHome, "pulumi-metal3"));
        for (const c of SHARED_CACHES) {
            if (fs.existsSync(path.join(realCache, c))) fs.symlinkSync(path.join(realCache, c), path.join(cacheHome, "pulumi-metal3", c));
        }
        demoState = path.join(cacheHome, "pulumi-metal3", "demo");
        env = { ...process.env, XDG_CACHE_HOME: cacheHome, NO_COLOR: "1", PATH: `${tc.binDir}:${process.env.PATH}` };
        // A user's shell: none of the test run's own Ironic settings (hooks.ts), none of its PULUMI_* either.
        dropOperatorIronicSettings(env);
        for (const k of Object.keys(env)) if (k.startsWith("PULUMI_")) delete env[k];
    });

    after(async function () {
        this.timeout(120_000);
        if (!demoState) return;
        // Whatever a failed assertion left running.
        for (const c of ["ironic", "kube", "bmc"]) await cli(c, "stop", "--state-dir", path.join(demoState, c));
        fs.rmSync(checkout, { recursive: true, force: true });
        fs.rmSync(cacheHome, { recursive: true, force: true });
    });

    it("`npm run demo` starts Ironic and the Kubernetes API, brings the quickstart up and prints the hosts", async () => {
        const up = await demo();
        expect(up.code, up.stderr.slice(-4000)).to.equal(0);
        expect(up.stderr).to.include("The demo is running: Ironic at");
        // The hosts table (`pulumi-metal3 hosts`): the quickstart's database host provisioned.
        expect(up.stdout).to.match(/metal3~db-0\s+provisioned\s+active/);
        const files = stateFiles(path.join(demoState, "ironic"));
        ironicUrl = JSON.parse(fs.readFileSync(files.instance, "utf8")).url;
        const password = fs.readFileSync(files.password, "utf8").split("\n")[0];
        auth = `Basic ${Buffer.from(`pulumi-metal3:${password}`).toString("base64")}`;
        expect(await demoNodes()).to.deep.equal(["metal3~db-0", "metal3~worker-0", "metal3~worker-1"]);
        expect((await cli("kube", "status", "--state-dir", path.join(demoState, "kube"))).code).to.equal(0);
    });

    it("`npm run demo -- destroy` whose `pulumi destroy` fails says so, exits non-zero and leaves Ironic and the Kubernetes API running", async () => {
        // An operator's maintenance on the database host: the provider refuses to delete it (README,
        // "Hosts others use"), so `pulumi destroy` fails after deleting the rest.
        const held = await ironic("PUT", "/v1/nodes/metal3~db-0/maintenance", { reason: "operator: swapping a disk" });
        expect(held.status, JSON.stringify(held.json)).to.equal(202);
        const destroy = await demo("destroy");
        expect(destroy.code, destroy.stderr.slice(-4000)).to.not.equal(0);
        expect(destroy.stderr).to.include("`pulumi destroy` failed for stack demo");
        // The engine's own error (on stdout) names the cause.
        expect(destroy.stdout + destroy.stderr, destroy.stdout.slice(-4000)).to.include("operator: swapping a disk");
        expect((await cli("ironic", "status", "--state-dir", path.join(demoState, "ironic"))).code, "Ironic still running").to.equal(0);
        expect((await cli("kube", "status", "--state-dir", path.join(demoState, "kube"))).code, "the Kubernetes API still running").to.equal(0);
        // The engine stops at the first failure: what it had not deleted yet is still there, the held host included.
        expect(await demoNodes()).to.include("metal3~db-0");
    });

    it("once the cause is gone, `npm run demo -- destroy` again deletes the rest, stops Ironic and the Kubernetes API and exits 0", async () => {
        const released = await ironic("DELETE", "/v1/nodes/metal3~db-0/maintenance");
        expect(released.status, JSON.stringify(released.json)).to.equal(202);
        const destroy = await demo("destroy");
        expect(destroy.code, destroy.stderr.slice(-4000)).to.equal(0);
        expect((await cli("ironic", "status", "--state-dir", path.join(demoState, "ironic"))).code, "Ironic stopped").to.equal(3);
        expect((await cli("kube", "status", "--state-dir", path.join(demoState, "kube"))).code, "the Kubernetes API stopped").to.equal(3);
        const left = await run(
            "pulumi",
            ["stack", "export", "--stack", "demo"],
            {
                ...env,
                PULUMI_BACKEND_URL: `file://${demoState}/backend`,
                PULUMI_HOME: `${demoState}/pulumi-home`,
                PULUMI_CONFIG_PASSPHRASE: "pulumi-metal3-demo",
            },
            checkout,
        );
        expect(left.code, left.stderr).to.equal(0);
        expect(JSON.parse(left.stdout).deployment.resources ?? [], "the stack's resources").to.deep.equal([]);
    });
});
