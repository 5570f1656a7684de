// End to end with the real engine: examples/quickstart through `pulumi preview/up/refresh/destroy`
// on a file:// backend, against a real Ironic and a real kube-apiserver with the upstream Metal³
// CRDs. What Pulumi claims is checked in Ironic and in the API server. The Ironic is the demo's
// (`npm run demo`): `ironic start`'s default, authenticated with its generated user and password,
// which the stack config holds as scripts/demo.sh sets them (the password as a secret).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import { startKube, stopKube, kubeRequest } from "../../local/kube";
import { capiCrdFiles } from "../../local/capi-crds";
import { defaultCrdDir } from "../../provider/render";
import { TestStack } from "./stack";
import { metal3State } from "../../provider/host/states";
import { startExtraIronic } from "../support/hooks";
import type { RunningIronic } from "../../local/ironic";

const SECRET_PASSWORD = "e2e-bmc-S3cret-7f3a";
const USER_DATA_MARK = "hostname: db-0";

function crdFiles(): string[] {
    const dir = defaultCrdDir();
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml") && !f.includes("release-1.12"))
        .map((f) => path.join(dir, f));
}

describe("e2e: examples/quickstart with the real Pulumi engine and kube-apiserver", function () {
    const ns = `qs${Math.random().toString(36).slice(2, 7)}`;
    const macPrefix = `52:54:${Math.floor(Math.random() * 200 + 16).toString(16)}`;
    let client: IronicClient;
    let ironic: RunningIronic;
    let ironicPassword: string;
    let stack: TestStack;
    let kube: { kubeconfig: string };
    let kubeDir: string;

    const nodesOfStack = async () => (await client.listNodes()).filter((n) => String(n.name ?? "").startsWith(`${ns}~`));
    /** What `ironic start` printed, exported as a user would (without the suite's OS_ENDPOINT / OS_AUTH_TYPE=none). */
    const printedEnv = (): NodeJS.ProcessEnv => {
        const env: NodeJS.ProcessEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: ironic.credentials!.cloudsFile, OS_CLOUD: ironic.credentials!.cloud };
        delete env.OS_ENDPOINT;
        delete env.OS_AUTH_TYPE;
        return env;
    };
    const kubeList = async (apiPath: string) => {
        const r = await kubeRequest(kube.kubeconfig, "GET", apiPath);
        if (r.status !== 200) throw new Error(`GET ${apiPath}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
        return (r.body.items ?? []) as any[];
    };

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        kubeDir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-kube-"));
        kube = await startKube({ stateDir: kubeDir, installCrds: [...crdFiles(), ...capiCrdFiles()] });
        await kubeRequest(kube.kubeconfig, "POST", "/api/v1/namespaces", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: ns },
        });
        // noauth: false is startIronic's default (generated credentials) over the test helper's noauth.
        ironic = await startExtraIronic({ noauth: false });
        expect(ironic.credentials?.passwordFile, "generated credentials").to.be.a("string");
        ironicPassword = fs.readFileSync(ironic.credentials!.passwordFile!, "utf8").split("\n")[0];
        const anonymous = await IronicClient.connect({ url: ironic.url, authType: "none" });
        try {
            expect(
                await anonymous.listNodes().then(
                    () => "listed",
                    (e: Error) => e.message,
                ),
            ).to.match(/401|nauthorized/);
        } finally {
            await anonymous.close();
        }
        client = await IronicClient.connect({ url: ironic.url, authType: "http_basic", username: ironic.credentials!.username, password: ironicPassword });
        stack = await TestStack.create("quickstart", "e2e");
        await stack.setConfig("pulumi-metal3:ironicUrl", ironic.url);
        await stack.setConfig("pulumi-metal3:ironicAuthType", "http_basic");
        await stack.setConfig("pulumi-metal3:ironicUsername", ironic.credentials!.username);
        await stack.setConfig("pulumi-metal3:ironicPassword", ironicPassword, { secret: true });
        await stack.setConfig("bmcPassword", SECRET_PASSWORD, { secret: true });
        await stack.setConfig("namespace", ns);
        await stack.setConfig("macPrefix", macPrefix);
        await stack.setConfig("kubeconfig", kube.kubeconfig);
        // As the README says: the Machine claims only hosts keyed under the stack's owner key.
        await stack.setOwnerKey();
    });

    after(async function () {
        this.timeout(900_000);
        // The stack copy under .state/e2e is kept only when its resources could not be destroyed.
        if (stack && (await stack.run(["destroy", "--yes"])).code === 0) fs.rmSync(stack.dir, { recursive: true, force: true });
        if (kubeDir) await stopKube({ stateDir: kubeDir });
        if (client) await client.close();
    });

    /**
     * Every worker's BareMetalHost object says what Ironic says, as Metal³ would: the Machine's host
     * provisioned, powered, online, with the Machine's image and consumerRef; a spare available,
     * powered off, online false, no consumer (what baremetal-operator restores on hand-over).
     */
    async function expectHostsAsIronic(): Promise<void> {
        const outputs = await stack.outputs();
        const machineHost = outputs.machineHost as string;
        const bmhs = await kubeList(`/apis/metal3.io/v1alpha1/namespaces/${ns}/baremetalhosts`);
        for (const n of await nodesOfStack()) {
            const name = String(n.name).split("~")[1];
            // The stack's hosts table (examples/quickstart `hosts`, through hostState) says what Ironic
            // says after this one `up`: the Machine's host provisioned, powered on, held by the Machine.
            const row = (outputs.hosts as { name: string; state: string; poweredOn: boolean; heldBy: string }[]).find((h) => h.name === name);
            expect(row, `${name} in the hosts output`).to.not.equal(undefined);
            expect(row!.state, `${name} state output`).to.equal(metal3State(n));
            expect(row!.poweredOn, `${name} poweredOn output`).to.equal(n.power_state === "power on");
            expect(row!.heldBy, `${name} heldBy output`).to.equal(name === machineHost ? `${ns}/worker-machine-0` : "");
            if (!name.startsWith("worker-")) continue;
            const bmh = bmhs.find((o: any) => o.metadata.name === name)!;
            const status = JSON.parse(bmh.metadata.annotations["baremetalhost.metal3.io/status"]);
            expect(status.provisioning.ID, name).to.equal(n.uuid);
            expect(status.poweredOn, `${name} poweredOn`).to.equal(n.power_state === "power on");
            if (name === machineHost) {
                expect(n.provision_state).to.equal("active");
                expect(status.provisioning.state, name).to.equal("provisioned");
                expect(status.provisioning.image.url).to.equal(n.instance_info?.image_source);
                expect(bmh.spec.online, `${name} online`).to.equal(true);
                expect(bmh.spec.image.url).to.equal(n.instance_info?.image_source);
                expect(bmh.spec.consumerRef).to.deep.include({ kind: "Metal3Machine", name: "worker-machine-0", namespace: ns });
                expect(bmh.spec.userData).to.deep.equal({ name: "worker-machine-0-bootstrap-data", namespace: ns });
                expect(bmh.metadata.labels["cluster.x-k8s.io/cluster-name"]).to.equal("demo");
            } else {
                expect(n.provision_state).to.equal("available");
                expect(status.provisioning.state, name).to.equal("available");
                expect(bmh.spec.online, `${name} online`).to.equal(false);
                for (const k of ["image", "consumerRef", "userData"]) expect(bmh.spec[k], `${name} ${k}`).to.equal(undefined);
                expect(bmh.metadata.labels["cluster.x-k8s.io/cluster-name"]).to.equal(undefined);
            }
        }
    }

    it("bad input fails `pulumi preview` naming the property, before Ironic is touched", async function () {
        const before = (await client.listNodes()).length;
        await stack.setConfig("dbBootMACAddress", "not-a-mac");
        const r = await stack.run(["preview"]);
        await stack.must(["config", "rm", "dbBootMACAddress"]);
        expect(r.code).to.not.equal(0);
        expect(r.stdout + r.stderr).to.contain("bootMACAddress");
        expect((await client.listNodes()).length).to.equal(before);
    });

    it("`pulumi preview` plans the creates", async function () {
        const steps = await stack.previewSteps();
        for (const name of ["db-0", "worker-0", "worker-1", "worker-machine-0"]) expect(steps.get(name), name).to.equal("create");
        expect(await nodesOfStack()).to.have.length(0);
    });

    it("`pulumi up` enrols and provisions; Ironic and the API server agree", async function () {
        await stack.must(["up", "--yes", "--skip-preview"]);
        const nodes = await nodesOfStack();
        const byName = new Map(nodes.map((n) => [String(n.name), n]));
        expect([...byName.keys()].sort()).to.deep.equal([`${ns}~db-0`, `${ns}~worker-0`, `${ns}~worker-1`]);
        expect(byName.get(`${ns}~db-0`)!.provision_state).to.equal("active");
        expect(byName.get(`${ns}~db-0`)!.power_state).to.equal("power on");
        const workers = [byName.get(`${ns}~worker-0`)!, byName.get(`${ns}~worker-1`)!];
        expect(workers.map((w) => w.provision_state).sort()).to.deep.equal(["active", "available"]);
        // The Machine's host runs; the spare waits powered off.
        for (const w of workers) expect(w.power_state, String(w.name)).to.equal(w.provision_state === "active" ? "power on" : "power off");

        const bmhs = await kubeList(`/apis/metal3.io/v1alpha1/namespaces/${ns}/baremetalhosts`);
        expect(bmhs.map((o: any) => o.metadata.name).sort()).to.deep.equal(["db-0", "worker-0", "worker-1"]);
        const secrets = await kubeList(`/api/v1/namespaces/${ns}/secrets`);
        expect(secrets.map((o: any) => o.metadata.name)).to.include("db-0-bmc-secret");
        const m3m = await kubeList(`/apis/infrastructure.cluster.x-k8s.io/v1beta2/namespaces/${ns}/metal3machines`);
        expect(m3m.map((o: any) => o.metadata.name)).to.deep.equal(["worker-machine-0"]);
        const machines = await kubeList(`/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/machines`);
        expect(machines.map((o: any) => o.metadata.name)).to.deep.equal(["worker-machine-0"]);
        await expectHostsAsIronic();
    });

    it("a second `pulumi up` with nothing changed changes nothing", async function () {
        const steps = await stack.previewSteps();
        for (const [name, op] of steps) expect(op, `${name} should be unchanged`).to.equal("same");
    });

    it("one host image change is an update, one Machine image change a replace, nothing else", async function () {
        await stack.setConfig("hostImageUrl", "http://images.example/ubuntu-26.04.qcow2");
        await stack.setConfig("machineImageUrl", "http://images.example/ubuntu-26.04.qcow2");
        const steps = await stack.previewSteps();
        expect(steps.get("db-0")).to.equal("update");
        expect(["replace", "create-replacement"]).to.include(steps.get("worker-machine-0"));
        for (const [name, op] of steps) {
            if (op === "same" || name === "db-0" || name === "worker-machine-0") continue;
            // The Kubernetes objects that mirror those two resources follow them, and so do the pool
            // hosts' objects (the Machine leaves one host and takes another); nothing else may move.
            expect(name, `${name} ${op}`).to.match(/^(db-0|worker-machine-0|worker-\d+-bmh$)/);
        }
        const diff = await stack.must(["preview", "--diff"]);
        expect(diff.stdout).to.match(/db-0/);

        const oldMachineHost = (await stack.outputs()).machineHost;
        const dbBefore = (await nodesOfStack()).find((n) => n.name === `${ns}~db-0`)!;
        await stack.must(["up", "--yes", "--skip-preview"]);
        const after = await nodesOfStack();
        const db = after.find((n) => n.name === `${ns}~db-0`)!;
        expect(db.uuid).to.equal(dbBefore.uuid);
        expect(db.provision_state).to.equal("active");
        expect(JSON.stringify(db.instance_info)).to.contain("ubuntu-26.04");
        const newMachineHost = (await stack.outputs()).machineHost;
        expect(newMachineHost).to.not.equal(oldMachineHost);
        const old = after.find((n) => String(n.name).endsWith(`~${oldMachineHost}`))!;
        expect(old.provision_state).to.equal("available");
        expect(old.allocation_uuid ?? null).to.equal(null);
        // The host the old Machine gave back is available again in its object; the new one provisioned.
        await expectHostsAsIronic();
    });

    it("`pulumi refresh` reports a node powered off behind Pulumi's back", async function () {
        const db = (await nodesOfStack()).find((n) => n.name === `${ns}~db-0`)!;
        await client.setPowerState(db.uuid, "power off");
        await client.waitForPowerState(db.uuid, "power off", { timeoutMs: 60_000 });
        const r = await stack.run(["refresh", "--yes", "--expect-no-changes", "--diff"]);
        expect(r.code, r.stdout + r.stderr).to.not.equal(0);
        expect(r.stdout).to.match(/poweredOn|online/);
        const state = await stack.exportState();
        const res = state.json.deployment.resources.find((x: any) => String(x.urn).endsWith("::db-0"));
        expect(res.outputs.poweredOn).to.equal(false);
    });

    it("adopts a node enrolled by hand (the dynamic-resource replacement for `pulumi import`)", async function () {
        const out = execFileSync("baremetal", ["node", "create", "--driver", "fake-hardware", "--name", `${ns}~adopted-0`, "-f", "value", "-c", "uuid"], {
            env: printedEnv(),
        })
            .toString()
            .trim();
        await stack.setConfig("adoptNode", out);
        await stack.must(["up", "--yes", "--skip-preview"]);
        const nodes = await nodesOfStack();
        expect(nodes.filter((n) => n.name === `${ns}~adopted-0`)).to.have.length(1);
        const adopted = nodes.find((n) => n.name === `${ns}~adopted-0`)!;
        expect(adopted.uuid).to.equal(out);
        expect(adopted.provision_state).to.equal("available");
        const state = await stack.exportState();
        const res = state.json.deployment.resources.find((x: any) => String(x.urn).endsWith("::adopted-0"));
        expect(res.id).to.equal(out);
    });

    it("the stack state holds no BMC password, no Ironic password and no user data in plain text", async function () {
        const state = await stack.exportState();
        const texts = [state.text, ...stack.rawStateFiles().map((f) => fs.readFileSync(f, "utf8"))];
        for (const t of texts) {
            expect(t).to.not.contain(SECRET_PASSWORD);
            expect(t).to.not.contain(Buffer.from(SECRET_PASSWORD).toString("base64"));
            expect(t).to.not.contain(ironicPassword);
            expect(t).to.not.contain(USER_DATA_MARK);
            expect(t).to.not.contain(Buffer.from(`#cloud-config\n${USER_DATA_MARK}\n`).toString("base64"));
        }
        expect(state.text).to.contain("ciphertext");
    });

    it("`pulumi destroy` leaves no nodes in Ironic and no objects in the API server", async function () {
        await stack.must(["destroy", "--yes", "--skip-preview"]);
        expect(await nodesOfStack()).to.have.length(0);
        expect(await kubeList(`/apis/metal3.io/v1alpha1/namespaces/${ns}/baremetalhosts`)).to.have.length(0);
        expect(await kubeList(`/apis/infrastructure.cluster.x-k8s.io/v1beta2/namespaces/${ns}/metal3machines`)).to.have.length(0);
        const secrets = (await kubeList(`/api/v1/namespaces/${ns}/secrets`)).filter((s: any) => s.type !== "kubernetes.io/service-account-token");
        expect(secrets).to.have.length(0);
    });
});
