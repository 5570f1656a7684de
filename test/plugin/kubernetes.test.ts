// The Metal³ / Cluster API objects from YAML, Python and Go programs (issue 24):
// examples/{yaml,python,go}-kubernetes use the plugin's components BareMetalHostWithObjects and MachineWithObjects (sdk/plugin/components.ts,
// served by Construct) against the suite's Ironic and a real kube-apiserver with the vendored CRDs.
// After `up` the BareMetalHost, its BMC Secret, the Machine, the Metal3Machine and the bootstrap
// Secret exist with the expected fields; the BMC password is never in clear in state; destroy
// removes them and the node.
import { randomBytes } from "crypto";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import { ensurePythonEnvironment } from "../../local/python-venv";
import { ensureToolchain } from "../../local/toolchain";
import { kubeRequest, startKube, stopKube, RunningKube } from "../../local/kube";
import { operatorCrdSources } from "../../local/capi-crds";
import { findFreePort } from "../../local/proc";
import { PluginProject, REPO } from "./project";

describe("Kubernetes objects from YAML, Python and Go programs (plugin components)", function () {
    this.timeout(900_000);
    const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
    let client: IronicClient;
    let kube: RunningKube;
    let kubeDir: string;
    let binDir: string;

    const get = (p: string) => kubeRequest(kube.kubeconfig, "GET", p);

    before(async () => {
        const tc = await ensureToolchain({});
        binDir = tc.binDir;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        kubeDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm3-components-kube-"));
        kube = await startKube({
            stateDir: kubeDir,
            port: await findFreePort(),
            installCrds: operatorCrdSources(),
            kubeApiserver: path.join(tc.binDir, "kube-apiserver"),
            log: () => undefined,
        });
    });
    after(async () => {
        if (kubeDir) {
            await stopKube({ stateDir: kubeDir, log: () => undefined });
            fs.rmSync(kubeDir, { recursive: true, force: true });
        }
        await client?.close();
    });

    /** A copy of examples/<example> under .state/ (so `../../bin` finds the plugin), on the test's cluster and Ironic. */
    async function project(example: string, ns: string, pw: string, venv?: string): Promise<PluginProject> {
        expect(
            (await kubeRequest(kube.kubeconfig, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } })).status,
        ).to.equal(201);
        fs.mkdirSync(path.join(REPO, ".state"), { recursive: true });
        const dir = fs.mkdtempSync(path.join(REPO, ".state", `${example}-`));
        for (const f of fs.readdirSync(path.join(REPO, "examples", example))) fs.copyFileSync(path.join(REPO, "examples", example, f), path.join(dir, f));
        if (venv) fs.symlinkSync(venv, path.join(dir, "venv"));
        const p = new PluginProject(dir, binDir);
        // As go.test.ts: sdk-go's compile flags (Go's build cache serves them), a stale go.sum fails.
        if (example.startsWith("go-"))
            Object.assign(p.env, { GOFLAGS: "-buildvcs=false -mod=readonly -trimpath -tags=osusergo,grpcnotrace", CGO_ENABLED: "0" });
        // The ambient kubeconfig: the engine's default kubernetes provider reads KUBECONFIG.
        p.env.KUBECONFIG = kube.kubeconfig;
        await p.must(["stack", "init", "dev"]);
        await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
        await p.must(["config", "set", "namespace", ns]);
        const b = () =>
            Math.floor(Math.random() * 256)
                .toString(16)
                .padStart(2, "0");
        await p.must(["config", "set", "macPrefix", `52:54:${b()}`]);
        await p.must(["config", "set", "--secret", "bmcPassword", pw]);
        // The stack's owner key (README "Ownership"): the Machine claims only hosts keyed under it.
        await p.must(["config", "set", "--secret", "metal3:ownerKey", randomBytes(32).toString("hex")]);
        return p;
    }

    for (const lang of ["yaml", "python", "go"] as const) {
        describe(`examples/${lang}-kubernetes`, () => {
            const ns = `${lang[0]}k-${tag}`;
            const PW = `${lang}-k8s-bmc-pw-do-not-leak`;
            let p: PluginProject;
            before(async () => {
                const venv = lang === "python" ? (await ensurePythonEnvironment()).venv : undefined;
                p = await project(`${lang}-kubernetes`, ns, PW, venv);
            });
            after(async () => {
                if (p) await p.run(["destroy", "--yes"]);
            });

            it("preview plans the objects; up writes them to the API server, the password secret in state; a second preview finds no change, a refresh and up bring the host object to provisioned; destroy removes them", async () => {
                // The objects are planned at preview, before anything is made.
                const preview = await p.must(["preview"]);
                expect(preview).to.match(/kubernetes:metal3\.io\/v1alpha1:BareMetalHost/);
                expect(preview).to.match(/kubernetes:infrastructure\.cluster\.x-k8s\.io\/v1beta2:Metal3Machine/);
                expect((await get(`/apis/metal3.io/v1alpha1/namespaces/${ns}/baremetalhosts/worker-0`)).status).to.equal(404);
                const up = await p.must(["up", "--yes"]);
                expect(up).to.match(/created/);
                const outputs = JSON.parse(await p.must(["stack", "output", "--json"]));
                expect(outputs.machineHost).to.equal("worker-0");
                expect(outputs.machineReady).to.equal(true);
                // The host resource's own view, from before the Machine claimed it (docs/HANDOVER.md,
                // "What the outputs say"): `available` until a refresh.
                expect(outputs.workerState).to.equal("available");

                const bmh = await get(`/apis/metal3.io/v1alpha1/namespaces/${ns}/baremetalhosts/worker-0`);
                expect(bmh.status, JSON.stringify(bmh.body)).to.equal(200);
                expect(bmh.body.spec.bmc.address).to.equal("fake://bmc-worker-0");
                expect(bmh.body.spec.bmc.credentialsName).to.equal("worker-0-bmc-secret");
                expect(bmh.body.spec.bootMACAddress).to.match(/^52:54:[0-9a-f]{2}:30:00:01$/);
                expect(bmh.body.metadata.labels).to.include({ role: "worker", stack: "dev" });
                const secret = await get(`/api/v1/namespaces/${ns}/secrets/worker-0-bmc-secret`);
                expect(secret.status).to.equal(200);
                expect(Buffer.from(secret.body.data.password, "base64").toString()).to.equal(PW);
                expect(Buffer.from(secret.body.data.username, "base64").toString()).to.equal("admin");

                const machine = await get(`/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/machines/machine-0`);
                expect(machine.status, JSON.stringify(machine.body)).to.equal(200);
                expect(machine.body.spec.clusterName).to.equal("demo");
                expect(machine.body.spec.infrastructureRef).to.include({ kind: "Metal3Machine", name: "machine-0" });
                const m3m = await get(`/apis/infrastructure.cluster.x-k8s.io/v1beta2/namespaces/${ns}/metal3machines/machine-0`);
                expect(m3m.status, JSON.stringify(m3m.body)).to.equal(200);
                expect(m3m.body.spec.image.url).to.equal("http://images.example/ubuntu-24.04.qcow2");
                expect(m3m.body.metadata.ownerReferences[0]).to.include({ kind: "Machine", name: "machine-0", uid: machine.body.metadata.uid });

                // A second run of the program changes nothing (hosts, Machine, objects).
                await p.must(["preview", "--expect-no-changes"]);
                // The host's object was written before the Machine claimed the host (docs/PLUGIN.md,
                // "Kubernetes objects"; docs/HANDOVER.md, "Hosts published by the plugin's
                // components"): its status annotation says `available` until a refresh reads the
                // claimed host and the next up rewrites it; then nothing changes any more. The
                // Machine's hold itself (online, image, consumerRef) is never on it on this path:
                // such a host is not to be handed over (HANDOVER.md says why).
                const bmhOf = async () => (await get(`/apis/metal3.io/v1alpha1/namespaces/${ns}/baremetalhosts/worker-0`)).body;
                const statusOf = async () => JSON.parse((await bmhOf()).metadata.annotations["baremetalhost.metal3.io/status"]);
                expect((await statusOf()).provisioning.state).to.equal("available");
                await p.must(["refresh", "--yes"]);
                await p.must(["up", "--yes"]);
                expect((await statusOf()).provisioning.state).to.equal("provisioned");
                expect((await statusOf()).poweredOn).to.equal(true);
                const after = await bmhOf();
                expect(after.spec.online).to.equal(false);
                for (const k of ["image", "consumerRef", "userData"]) expect(after.spec[k], k).to.equal(undefined);
                await p.must(["preview", "--expect-no-changes"]);

                const state = await p.must(["stack", "export"]);
                expect(state).to.not.contain(PW);
                expect(state).to.not.contain(Buffer.from(PW).toString("base64"));
                const types = JSON.parse(state).deployment.resources.map((r: any) => r.type);
                expect(types).to.include.members([
                    "metal3:index:BareMetalHostWithObjects",
                    "metal3:index:BareMetalHost",
                    "metal3:index:MachineWithObjects",
                    "metal3:index:Machine",
                    "kubernetes:core/v1:Secret",
                    "kubernetes:metal3.io/v1alpha1:BareMetalHost",
                    "kubernetes:cluster.x-k8s.io/v1beta2:Machine",
                    "kubernetes:infrastructure.cluster.x-k8s.io/v1beta2:Metal3Machine",
                ]);

                await p.must(["destroy", "--yes"]);
                for (const path of [
                    `/apis/metal3.io/v1alpha1/namespaces/${ns}/baremetalhosts/worker-0`,
                    `/api/v1/namespaces/${ns}/secrets/worker-0-bmc-secret`,
                    `/apis/cluster.x-k8s.io/v1beta2/namespaces/${ns}/machines/machine-0`,
                    `/apis/infrastructure.cluster.x-k8s.io/v1beta2/namespaces/${ns}/metal3machines/machine-0`,
                ])
                    expect((await get(path)).status, path).to.equal(404);
                expect((await client.listNodes()).filter((n) => String(n.name).startsWith(`${ns}~`))).to.have.length(0);
            });
        });
    }

    describe("a literal BMC password in a YAML program", () => {
        // YAML has no pulumi.secret on a literal; the component's inputs are recorded in state too.
        const ns = `lk-${tag}`;
        const PW = "literal-k8s-bmc-pw-do-not-leak";
        let p: PluginProject;
        before(async () => {
            p = await project("yaml-kubernetes", ns, "unused");
            const file = path.join(p.dir, "Pulumi.yaml");
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("password: ${bmcPassword}", `password: ${PW}`));
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
        });

        it("is never in clear in state", async () => {
            await p.must(["up", "--yes"]);
            const secret = await get(`/api/v1/namespaces/${ns}/secrets/worker-0-bmc-secret`);
            expect(Buffer.from(secret.body.data.password, "base64").toString()).to.equal(PW);
            const state = await p.must(["stack", "export"]);
            expect(state).to.not.contain(PW);
            expect(state).to.not.contain(Buffer.from(PW).toString("base64"));
        });
    });
});
