// The toolchain end to end: the `pulumi` built from Go modules, our Node.js language host and
// dynamic-provider launcher, and the built Kubernetes provider, driving the local kube-apiserver.
// A throwaway program with a dynamic resource, a Secret and a Metal³ BareMetalHost goes through
// preview, up, an update and destroy on a file:// backend.

import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubeRequest, startKube, stopKube, RunningKube } from "../../local/kube";
import { findFreePort } from "../../local/proc";
import { ensureToolchain, pulumiEnv, repoRoot, Toolchain } from "../../local/toolchain";
import { defaultCrdDir } from "../../provider/render";

/** The Metal³ CRDs the package ships (crds/, copied from upstream: crds/SOURCES.txt). */
const CRD_DIR = defaultCrdDir();

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

const greeter: pulumi.dynamic.ResourceProvider = {
    async create(inputs: any) {
        return { id: "greeting-" + inputs.name, outs: { name: inputs.name, greeting: "hello " + inputs.name } };
    },
    async diff(_id: string, olds: any, news: any) {
        return { changes: olds.name !== news.name, replaces: olds.name !== news.name ? ["name"] : [] };
    },
};
class Greeting extends pulumi.dynamic.Resource {
    public readonly greeting!: pulumi.Output<string>;
    constructor(name: string, args: { name: pulumi.Input<string> }) {
        super(greeter, name, { ...args, greeting: undefined });
    }
}

const config = new pulumi.Config();
const greeting = new Greeting("hello", { name: config.require("who") });
const provider = new k8s.Provider("local", { kubeconfig: config.require("kubeconfig") });
const secret = new k8s.core.v1.Secret("bmc", {
    metadata: { name: "engine-test-bmc", namespace: "default" },
    stringData: { username: "admin", password: config.requireSecret("bmcPassword") },
}, { provider });
new k8s.apiextensions.CustomResource("host", {
    apiVersion: "metal3.io/v1alpha1",
    kind: "BareMetalHost",
    metadata: { name: "engine-test-host", namespace: "default" },
    spec: {
        online: true,
        bootMACAddress: "52:54:00:aa:bb:cc",
        bmc: { address: "ipmi://127.0.0.1:6230", credentialsName: secret.metadata.name },
        description: greeting.greeting,
    },
}, { provider });
export const greetingText = greeting.greeting;
`;

describe("pulumi engine built from Go modules, against the local kube-apiserver", function () {
    let tc: Toolchain;
    let kube: RunningKube;
    let kubeDir: string;
    let programDir: string;
    let env: NodeJS.ProcessEnv;

    function pulumi(args: string[]): { status: number; stdout: string; stderr: string } {
        const r = spawnSync(tc.pulumi, [...args, "--non-interactive"], { cwd: programDir, env, encoding: "utf8", timeout: 5 * 60 * 1000 });
        return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    }
    function pulumiOk(args: string[]): string {
        const r = pulumi(args);
        expect(r.status, `pulumi ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`).to.equal(0);
        return r.stdout;
    }

    before(async function () {
        this.timeout(90 * 60 * 1000);
        tc = await ensureToolchain({ log: (l) => process.stderr.write(l + "\n") });
        kubeDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm3-engine-kube-"));
        kube = await startKube({
            stateDir: kubeDir,
            port: await findFreePort(),
            installCrds: [CRD_DIR],
            kubeApiserver: path.join(tc.binDir, "kube-apiserver"),
            log: () => undefined,
        });
        // Inside the repo so the program resolves @pulumi/* from the repo's node_modules.
        fs.mkdirSync(path.join(repoRoot(), ".state"), { recursive: true });
        programDir = fs.mkdtempSync(path.join(repoRoot(), ".state", "engine-test-"));
        fs.writeFileSync(path.join(programDir, "Pulumi.yaml"), "name: engine-test\nruntime: nodejs\n");
        fs.writeFileSync(path.join(programDir, "package.json"), JSON.stringify({ name: "engine-test", private: true, main: "index.ts" }));
        fs.writeFileSync(path.join(programDir, "index.ts"), PROGRAM);
        env = pulumiEnv(tc.binDir, { backendDir: path.join(programDir, ".backend") });
        pulumiOk(["stack", "init", "test"]);
        pulumiOk(["config", "set", "who", "metal3"]);
        pulumiOk(["config", "set", "--secret", "kubeconfig", fs.readFileSync(kube.kubeconfig, "utf8")]);
        pulumiOk(["config", "set", "--secret", "bmcPassword", "hunter2-not-in-state"]);
    });

    after(async function () {
        if (kubeDir) {
            await stopKube({ stateDir: kubeDir, log: () => undefined });
            fs.rmSync(kubeDir, { recursive: true, force: true });
        }
        if (programDir) fs.rmSync(programDir, { recursive: true, force: true });
    });

    it("the CLI is the stamped v3.248.0", function () {
        expect(pulumiOk(["version"]).trim()).to.equal("v3.248.0");
    });

    it("preview plans the creates and changes nothing", async function () {
        const out = pulumiOk(["preview", "--json"]);
        const plan = JSON.parse(out);
        const creates = plan.steps.filter((s: any) => s.op === "create").map((s: any) => s.urn.split("::").pop());
        expect(creates).to.include.members(["hello", "bmc", "host", "local"]);
        expect((await kubeRequest(kube.kubeconfig, "GET", "/api/v1/namespaces/default/secrets/engine-test-bmc")).status).to.equal(404);
    });

    it("up creates the dynamic resource, the Secret and the BareMetalHost", async function () {
        pulumiOk(["up", "--yes", "--skip-preview"]);
        const outputs = JSON.parse(pulumiOk(["stack", "output", "--json"]));
        expect(outputs.greetingText).to.equal("hello metal3");
        const secret = await kubeRequest(kube.kubeconfig, "GET", "/api/v1/namespaces/default/secrets/engine-test-bmc");
        expect(Buffer.from(secret.body.data.password, "base64").toString()).to.equal("hunter2-not-in-state");
        const host = await kubeRequest(kube.kubeconfig, "GET", "/apis/metal3.io/v1alpha1/namespaces/default/baremetalhosts/engine-test-host");
        expect(host.status).to.equal(200);
        expect(host.body.spec.description).to.equal("hello metal3");
        expect(host.body.spec.bmc.credentialsName).to.equal("engine-test-bmc");
    });

    it("keeps the secret config value out of the state in plain text", function () {
        const state = pulumiOk(["stack", "export", "--show-secrets=false"]);
        expect(state).to.not.include("hunter2-not-in-state");
        const files: string[] = [];
        const walk = (d: string) =>
            fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name))));
        walk(path.join(programDir, ".backend"));
        for (const f of files) expect(fs.readFileSync(f, "utf8"), f).to.not.include("hunter2-not-in-state");
    });

    it("an input change replaces the dynamic resource and updates the host", async function () {
        pulumiOk(["config", "set", "who", "ironic"]);
        const plan = JSON.parse(pulumiOk(["preview", "--json"]));
        const ops = Object.fromEntries(plan.steps.map((s: any) => [s.urn.split("::").pop(), s.op]));
        expect(ops.hello).to.equal("replace");
        pulumiOk(["up", "--yes", "--skip-preview"]);
        const host = await kubeRequest(kube.kubeconfig, "GET", "/apis/metal3.io/v1alpha1/namespaces/default/baremetalhosts/engine-test-host");
        expect(host.body.spec.description).to.equal("hello ironic");
    });

    it("a program error fails preview with the program's own message, once", function () {
        pulumiOk(["config", "rm", "who"]);
        const r = pulumi(["preview"]);
        pulumiOk(["config", "set", "who", "ironic"]);
        expect(r.status).to.not.equal(0);
        expect(r.stdout + r.stderr).to.include("Missing required configuration variable 'engine-test:who'");
        // cmd/run reported it already (exit 32): the host must not add its own exit-code error.
        expect(r.stdout + r.stderr).to.not.include("Program exited with non-zero exit code");
    });

    it("destroy removes everything from the API server without hanging", async function () {
        const started = Date.now();
        pulumiOk(["destroy", "--yes", "--skip-preview"]);
        expect(Date.now() - started).to.be.below(120000);
        expect((await kubeRequest(kube.kubeconfig, "GET", "/api/v1/namespaces/default/secrets/engine-test-bmc")).status).to.equal(404);
        expect((await kubeRequest(kube.kubeconfig, "GET", "/apis/metal3.io/v1alpha1/namespaces/default/baremetalhosts/engine-test-host")).status).to.equal(404);
    });
});
