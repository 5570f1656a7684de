// The rendered objects against a REAL kube-apiserver (local/kube.ts: etcd + kube-apiserver on
// loopback) with the vendored Metal³ CRDs and Cluster API's Machine CRD installed. Server-side
// apply with `fieldValidation=Strict`, so a field the schema does not know is an error instead of
// being pruned silently. This is the ground truth the ajv validator in render.unit.test.ts imitates.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubeRequest, startKube, stopKube, type RunningKube } from "../../local/kube";
import { capiCrdFiles, operatorCrdSources } from "../../local/capi-crds";
import {
    STATUS_ANNOTATION,
    hostObjectList,
    renderBareMetalHost,
    renderMachine,
    renderDataImage,
    type HostRenderInput,
    type KubeObject,
    type MachineApiVersion,
} from "../../provider/render";
import { crdDir } from "./crd-dir";

const NS = "metal3";
const NODE_UUID = "1be26c0b-03f2-4d2e-ae87-c02d7f33c123";
const M3M_MAIN = path.join(crdDir, "infrastructure.cluster.x-k8s.io_metal3machines.yaml");
const M3M_112 = path.join(crdDir, "infrastructure.cluster.x-k8s.io_metal3machines.release-1.12-v1beta1.yaml");

const PLURALS: Record<string, string> = {
    Secret: "secrets",
    BareMetalHost: "baremetalhosts",
    Machine: "machines",
    Metal3Machine: "metal3machines",
    HostFirmwareSettings: "hostfirmwaresettings",
    DataImage: "dataimages",
    HostUpdatePolicy: "hostupdatepolicies",
};

function objectPath(o: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }, sub = ""): string {
    const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    return `${base}/namespaces/${o.metadata.namespace}/${PLURALS[o.kind]}/${o.metadata.name}${sub}`;
}

describe("render → a real kube-apiserver with the CRDs installed", function () {
    this.timeout(600000);
    let kube: RunningKube;
    let stateDir: string;

    /** Server-side apply, strict: unknown fields are refused, not pruned. */
    async function apply(obj: object, manager = "pulumi-metal3-test", sub = ""): Promise<{ status: number; body: any }> {
        const o = obj as KubeObject;
        return kubeRequest(kube.kubeconfig, "PATCH", `${objectPath(o, sub)}?fieldManager=${manager}&fieldValidation=Strict`, obj, {
            contentType: "application/apply-patch+yaml",
        });
    }
    async function get(obj: KubeObject): Promise<any> {
        const r = await kubeRequest(kube.kubeconfig, "GET", objectPath(obj));
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        return r.body;
    }
    async function expectApplied(obj: KubeObject, manager?: string): Promise<any> {
        const r = await apply(obj, manager);
        expect([200, 201], `${obj.kind} ${obj.metadata.name}: ${JSON.stringify(r.body)}`).to.include(r.status);
        return r.body;
    }
    async function crd(file: string | object, method: "apply" | "delete"): Promise<void> {
        const yaml = await import("js-yaml");
        const doc = (typeof file === "string" ? yaml.load(fs.readFileSync(file, "utf8")) : file) as any;
        const p = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${doc.metadata.name}`;
        if (method === "delete") {
            await kubeRequest(kube.kubeconfig, "DELETE", p);
            for (let i = 0; i < 100; i++) {
                if ((await kubeRequest(kube.kubeconfig, "GET", p)).status === 404) return;
                await new Promise((r) => setTimeout(r, 200));
            }
            throw new Error(`CRD ${doc.metadata.name} not deleted`);
        }
        const r = await kubeRequest(kube.kubeconfig, "PATCH", `${p}?fieldManager=test&force=true`, doc, { contentType: "application/apply-patch+yaml" });
        expect([200, 201]).to.include(r.status);
        for (let i = 0; i < 100; i++) {
            const g = await kubeRequest(kube.kubeconfig, "GET", p);
            if ((g.body?.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True")) {
                await new Promise((r) => setTimeout(r, 500)); // discovery catches up
                return;
            }
            await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`CRD ${doc.metadata.name} not established`);
    }

    before(async () => {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "render-kube-"));
        // What `kube start --crds` installs: every baremetal-operator and CAPM3 CRD, and Cluster API's.
        kube = await startKube({ stateDir, installCrds: operatorCrdSources(), log: () => undefined });
        const ns = await kubeRequest(kube.kubeconfig, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
        expect([201, 409]).to.include(ns.status);
    });

    after(async () => {
        if (stateDir) {
            await stopKube({ stateDir, log: () => undefined });
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });

    const hosts: Array<[string, Partial<HostRenderInput>]> = [
        ["ipmi://192.168.111.1:6230", { bootMode: "legacy", online: false }],
        [
            "redfish-virtualmedia+https://192.168.111.1/redfish/v1/Systems/1",
            {
                image: { url: "http://172.22.0.1/os.qcow2", checksum: "abc", checksumType: "sha256", format: "qcow2" },
                userData: "#cloud-config\n",
                networkData: { links: [] },
                metaData: { a: "b" },
                inspectionMode: "disabled",
                rootDeviceHints: { deviceName: "/dev/sda", minSizeGigabytes: 10 },
                raid: { hardwareRAIDVolumes: null },
            },
        ],
        ["fake://node-2", { customDeploy: { method: "install_coreos" }, description: "fake", externallyProvisioned: true }],
        // Day two: reboot.metal3.io {"mode":"soft"}, inspect.metal3.io "", baremetalhost.metal3.io/detached "" (provider/render/day-two.ts).
        ["ipmi://192.168.111.1:6231", { rebootRequest: "2026-12-07T21:00", powerOffMode: "soft", inspectRequest: "again-1", detached: true }],
        // Firmware settings: a HostFirmwareSettings beside the host, IntOrString values (provider/render/firmware.ts).
        // ... and the HostUpdatePolicy that lets them be applied by servicing (provider/render/firmware.ts).
        [
            "redfish+https://192.168.111.1/redfish/v1/Systems/2",
            { firmware: { settings: { ProcTurboMode: "Disabled", NumCores: 12 } }, updatePolicy: { firmwareSettings: "onReboot" as const } },
        ],
    ];

    hosts.forEach(([address, extra], i) => {
        it(`${address}: Secrets and BareMetalHost apply strictly and read back unchanged, status annotation intact`, async () => {
            const r = renderBareMetalHost({
                name: `node-${i}`,
                namespace: NS,
                labels: { role: "worker" },
                bmc: { address, username: "admin", password: "s3cr3t" },
                bootMACAddress: `52:54:00:12:34:5${i}`,
                online: true,
                ...extra,
                status: {
                    nodeUuid: NODE_UUID,
                    provisioningState: "provisioned",
                    ironicProvisionState: "active",
                    poweredOn: true,
                    hardware: { ramMebibytes: 1024, cpu: { arch: "x86_64", count: 2, clockMegahertz: 2399.5 } },
                },
            });
            for (const o of hostObjectList(r)) await expectApplied(o);
            const live = await get(r.host);
            expect(live.spec).to.deep.include(JSON.parse(JSON.stringify(r.host.spec)));
            expect(live.metadata.annotations).to.deep.equal(r.host.metadata.annotations);
            expect(live.metadata.labels).to.deep.equal(r.host.metadata.labels);
            const secret = await get(r.bmcSecret);
            expect(secret.data).to.deep.equal(r.bmcSecret.data);
            if (extra.firmware) {
                expect(r.firmwareSettings, "a HostFirmwareSettings beside the host").to.not.equal(undefined);
                expect((await get(r.firmwareSettings!)).spec).to.deep.equal({ settings: { NumCores: 12, ProcTurboMode: "Disabled" } });
            } else expect(r.firmwareSettings).to.equal(undefined);
            if (extra.updatePolicy) {
                expect(r.updatePolicy, "a HostUpdatePolicy beside the host").to.not.equal(undefined);
                expect((await get(r.updatePolicy!)).spec).to.deep.equal({ firmwareSettings: "onReboot" });
            } else expect(r.updatePolicy).to.equal(undefined);
        });
    });

    it("every baremetal-operator and CAPM3 CRD of crds/ is Established (what the operators' controllers watch)", async () => {
        const r = await kubeRequest(kube.kubeconfig, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
        const established = (r.body.items as any[])
            .filter((c) => (c.status?.conditions ?? []).some((x: any) => x.type === "Established" && x.status === "True"))
            .map((c) => c.spec.names.kind as string);
        for (const kind of [
            "BareMetalHost",
            "DataImage",
            "HostFirmwareComponents",
            "HostFirmwareSettings",
            "FirmwareSchema",
            "BMCEventSubscription",
            "HostUpdatePolicy",
            "HardwareData",
            "PreprovisioningImage",
            "HostClaim",
            "HostDeployPolicy",
            "HostNetworkAttachment",
            "BareMetalSwitch",
            "Metal3Machine",
            "Metal3MachineTemplate",
            "Metal3Cluster",
            "Metal3ClusterTemplate",
            "Metal3Data",
            "Metal3DataClaim",
            "Metal3DataTemplate",
            "Metal3Remediation",
            "Metal3RemediationTemplate",
        ])
            expect(established, kind).to.include(kind);
        // And the one that a bare apiserver would otherwise lack: Metal3Machine serves v1beta2 (main's CRD won).
        const m3m = (r.body.items as any[]).find((c) => c.metadata.name === "metal3machines.infrastructure.cluster.x-k8s.io");
        expect(m3m.spec.versions.map((v: any) => v.name)).to.include("v1beta2");
    });

    it("a host held by a Machine (its own object, claim rendered in): applies strictly, its status annotation accepted by the status subresource", async () => {
        const machine = renderMachine(
            {
                name: "claimer",
                namespace: NS,
                clusterName: "c1",
                host: { name: "held-0" },
                image: { url: "http://172.22.0.1/os.qcow2", checksum: "abc", checksumType: "sha256", format: "qcow2" },
                userData: "#cloud-config\n",
            },
            "v1beta2",
        );
        const r = renderBareMetalHost({
            name: "held-0",
            namespace: NS,
            bmc: { address: "ipmi://192.168.111.1:6231", username: "admin", password: "s3cr3t" },
            online: false,
            status: { nodeUuid: NODE_UUID, provisioningState: "available", ironicProvisionState: "available", poweredOn: false },
            claim: {
                spec: machine.hostClaim!.spec,
                labels: machine.hostClaim!.metadata.labels,
                online: true,
                provisioningState: "provisioned",
                nodeUuid: NODE_UUID,
                poweredOn: true,
            },
        });
        for (const o of hostObjectList(r)) await expectApplied(o);
        const live = await get(r.host);
        expect(live.spec.online).to.equal(true);
        expect(live.spec.consumerRef).to.deep.equal({
            apiVersion: "infrastructure.cluster.x-k8s.io/v1beta2",
            kind: "Metal3Machine",
            name: "claimer",
            namespace: NS,
        });
        const status = JSON.parse(live.metadata.annotations[STATUS_ANNOTATION]);
        expect(status.provisioning.state).to.equal("provisioned");
        const put = await kubeRequest(kube.kubeconfig, "PUT", `/apis/metal3.io/v1alpha1/namespaces/${NS}/baremetalhosts/held-0/status?fieldValidation=Strict`, {
            ...live,
            status,
        });
        expect(put.status, JSON.stringify(put.body)).to.equal(200);
        expect(put.body.status.provisioning.image.url).to.equal("http://172.22.0.1/os.qcow2");
    });

    it("a DataImage beside its host (provider/render/data-image.ts): applies strictly, its status.attachedImage accepted by the status subresource", async () => {
        const o = renderDataImage({ name: "node-0", namespace: NS, url: "http://172.22.0.1/data.iso", attachedUrl: "http://172.22.0.1/data.iso" });
        const { status, ...object } = o;
        await expectApplied(object as typeof o);
        const s = await apply(
            { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: NS }, status },
            "status-writer",
            "/status",
        );
        expect(s.status, JSON.stringify(s.body)).to.equal(200);
        const live = await get(o);
        expect(live.spec).to.deep.equal({ url: "http://172.22.0.1/data.iso" });
        expect(live.status).to.deep.equal({ attachedImage: { url: "http://172.22.0.1/data.iso" } });
        const typo = { ...object, spec: { url: "http://172.22.0.1/data.iso", checksum: "x" } };
        expect((await apply(typo)).status, "an unknown spec field is refused").to.be.at.least(400);
    });

    it("the status annotation is accepted verbatim by the BareMetalHost status subresource", async () => {
        const r = renderBareMetalHost({
            name: "node-status",
            namespace: NS,
            bmc: { address: "ipmi://10.0.0.1", username: "u", password: "p" },
            online: true,
            status: {
                nodeUuid: NODE_UUID,
                provisioningState: "inspecting",
                ironicProvisionState: "inspect failed",
                poweredOn: false,
                errorMessage: "Timeout reached while inspecting the node",
                errorCount: 2,
            },
        });
        for (const o of hostObjectList(r)) await expectApplied(o);
        const status = JSON.parse(r.host.metadata.annotations![STATUS_ANNOTATION]);
        const s = await apply(
            { apiVersion: r.host.apiVersion, kind: r.host.kind, metadata: { name: r.host.metadata.name, namespace: NS }, status },
            "status-writer",
            "/status",
        );
        expect(s.status, JSON.stringify(s.body)).to.equal(200);
        const live = await get(r.host);
        expect(live.status).to.deep.equal(status);
    });

    it("the apiserver refuses what the ajv validator refuses (unknown field, wrong enum)", async () => {
        const r = renderBareMetalHost({ name: "node-bad", namespace: NS, bmc: { address: "ipmi://10.0.0.1", username: "u", password: "p" }, online: true });
        const typo = JSON.parse(JSON.stringify(r.host));
        typo.spec.imag = { url: "http://x" };
        // Server-side apply (what pulumi-kubernetes uses) cannot even build a typed patch from an
        // undeclared field: kube-apiserver 1.33 answers 500 "field not declared in schema".
        const a = await apply(typo);
        expect(a.status).to.be.at.least(400);
        expect(JSON.stringify(a.body)).to.match(/\.spec\.imag: field not declared in schema/);
        // A plain strict create names it too.
        const c = await kubeRequest(kube.kubeconfig, "POST", `/apis/metal3.io/v1alpha1/namespaces/${NS}/baremetalhosts?fieldValidation=Strict`, typo);
        expect(c.status).to.equal(400);
        expect(JSON.stringify(c.body)).to.match(/unknown field \\"spec.imag\\"/);
        const badEnum = JSON.parse(JSON.stringify(r.host));
        badEnum.spec.bootMode = "BIOS";
        const b = await apply(badEnum);
        expect(b.status).to.equal(422);
        expect(JSON.stringify(b.body)).to.match(/spec.bootMode/);
    });

    async function machineRoundTrip(v: MachineApiVersion, host: string): Promise<void> {
        const pool = renderBareMetalHost({
            name: host,
            namespace: NS,
            bmc: { address: "redfish://10.0.0.9/redfish/v1/Systems/1", username: "u", password: "p" },
            online: false,
        });
        for (const o of hostObjectList(pool)) await expectApplied(o, "host-owner");
        const first = renderMachine(
            {
                name: `worker-${v}`,
                namespace: NS,
                clusterName: "cluster-a",
                host: { name: host },
                image: { url: "http://172.22.0.1/os.raw", checksum: "abc", format: "raw" },
                userData: "#cloud-config\n",
                metaData: { a: "b" },
                hostSelector: { matchLabels: { role: "worker" } },
            },
            v,
        );
        for (const s of Object.values(first.dataSecrets)) await expectApplied(s!);
        const machine = await expectApplied(first.machine);
        // The Metal3Machine again, now with the Machine's live UID: the owner reference CAPI would set.
        const m = renderMachine(
            {
                name: `worker-${v}`,
                namespace: NS,
                clusterName: "cluster-a",
                host: { name: host },
                image: { url: "http://172.22.0.1/os.raw", checksum: "abc", format: "raw" },
                userData: "#cloud-config\n",
                metaData: { a: "b" },
                hostSelector: { matchLabels: { role: "worker" } },
                machineUid: machine.metadata.uid,
            },
            v,
        );
        await expectApplied(m.metal3Machine);
        const liveM3m = await get(m.metal3Machine);
        expect(liveM3m.spec).to.deep.equal(JSON.parse(JSON.stringify(m.metal3Machine.spec)));
        expect(liveM3m.metadata.ownerReferences[0].uid).to.equal(machine.metadata.uid);
        expect((await get(m.machine)).spec).to.deep.include(JSON.parse(JSON.stringify(m.machine.spec)));

        // The claim: a second field manager patches consumerRef, label and image in; no conflict with the host's owner.
        await expectApplied(m.hostClaim!, "machine-claim");
        await expectApplied(m.bmcSecretClaim as unknown as KubeObject, "machine-claim");
        let bmh = await get(pool.host);
        expect(bmh.spec.consumerRef).to.deep.equal(m.hostClaim!.spec.consumerRef);
        expect(bmh.spec.online).to.equal(false);
        expect(bmh.metadata.labels["cluster.x-k8s.io/cluster-name"]).to.equal("cluster-a");
        expect(bmh.metadata.annotations["baremetalhost.metal3.io/paused"]).to.equal("pulumi-metal3");
        expect((await get(pool.bmcSecret)).metadata.labels).to.deep.equal({
            "environment.metal3.io": "baremetal",
            "cluster.x-k8s.io/cluster-name": "cluster-a",
        });
        // The host's owner re-applies its object: the claimed fields survive (owned by the claim manager).
        for (const o of hostObjectList(pool)) await expectApplied(o, "host-owner");
        bmh = await get(pool.host);
        expect(bmh.spec.consumerRef.name).to.equal(`worker-${v}`);
        // Release: the claim manager applies nothing but identity; its fields go away.
        await expectApplied(
            { apiVersion: pool.host.apiVersion, kind: "BareMetalHost", metadata: { name: host, namespace: NS } } as KubeObject,
            "machine-claim",
        );
        bmh = await get(pool.host);
        expect(bmh.spec).to.not.have.property("consumerRef");
        expect(bmh.spec).to.not.have.property("image");
        expect(bmh.metadata.labels ?? {}).to.not.have.property("cluster.x-k8s.io/cluster-name");
    }

    it("v1beta2: Machine, Metal3Machine (owned by the live Machine) and the host claim round-trip", async () => {
        await machineRoundTrip("v1beta2", "pool-a");
    });

    it("v1beta1 on the CAPM3 1.12 CRD (v1beta1 only): the same round-trip, image.format kept", async () => {
        await crd(M3M_MAIN, "delete");
        await crd(M3M_112, "apply");
        // CAPI 1.14's Machine CRD stores v1beta2, and without CAPI's conversion webhook a v1beta1
        // Machine is stored unconverted and loses infrastructureRef.apiVersion/namespace (pruned by the
        // v1beta2 schema). A CAPI that stores v1beta1 (≤ 1.10) keeps them: simulate it by flipping storage.
        const yaml = await import("js-yaml");
        const machines = yaml.load(
            fs.readFileSync(
                capiCrdFiles().find((f) => f.endsWith("cluster.x-k8s.io_machines.yaml"))!,
                "utf8",
            ),
        ) as any;
        for (const v of machines.spec.versions) v.storage = v.name === "v1beta1";
        await crd(machines, "apply");
        await machineRoundTrip("v1beta1", "pool-b");
        const m3m = await get(renderMachine({ name: "worker-v1beta1", namespace: NS, clusterName: "c", image: { url: "x" } }).metal3Machine);
        expect(m3m.spec.image.format).to.equal("raw");
    });
});
