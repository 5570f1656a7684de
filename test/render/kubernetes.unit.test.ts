// sdk/kubernetes.ts under Pulumi's mock monitor (in a child process, see emit-program.ts): what the
// engine would receive is parented to the resource, secret where it must be, plain where it must
// be readable in a diff, and valid against the CRDs.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { STATUS_ANNOTATION, type KubeObject } from "../../provider/render";
import { crds } from "./crd-dir";

/** Pulumi's marker for a secret value in RPC inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

interface Registration {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

let programOutput: any;
/** Runs emit-program.js once per test run; its JSON report is shared by both suites. */
function runProgram(): any {
    const program = path.join(__dirname, "emit-program.js");
    return (programOutput ??= JSON.parse(execFileSync(process.execPath, [program], { encoding: "utf8", timeout: 100000 })));
}

function containsSecret(v: unknown): boolean {
    if (!v || typeof v !== "object") return false;
    if (SECRET_SIG in (v as object)) return true;
    return Object.values(v as object).some(containsSecret);
}

describe("sdk/kubernetes: emitHostObjects / emitMachineObjects (Pulumi mocks)", function () {
    this.timeout(120000);
    let out: { registrations: Registration[]; secretness: Record<string, boolean>; parents: Record<string, string> };
    const reg = (name: string) => {
        const r = out.registrations.find((x) => x.name === name);
        expect(r, `registration ${name}`).to.not.equal(undefined);
        return r!;
    };
    const asObject = (r: Registration): KubeObject => JSON.parse(JSON.stringify(r.inputs));

    before(() => {
        out = runProgram();
    });

    it("declares the host's Secrets and BareMetalHost under the parent, named after it", () => {
        expect(reg("node-0-bmc-secret").type).to.equal("kubernetes:core/v1:Secret");
        expect(reg("node-0-user-data").type).to.equal("kubernetes:core/v1:Secret");
        expect(reg("node-0-meta-data").type).to.equal("kubernetes:core/v1:Secret");
        expect(out.registrations.find((r) => r.name === "node-0-network-data")).to.equal(undefined);
        expect(reg("node-0-bmh").type).to.equal("kubernetes:metal3.io/v1alpha1:BareMetalHost");
        expect(out.parents.bmcSecret).to.match(/pulumi-metal3:test:Parent\$kubernetes:core\/v1:Secret::node-0-bmc-secret$/);
    });

    it("a host with a dataImage: a DataImage of the host's name and namespace, spec.url, valid against the CRD; none for a host without one", () => {
        const di = reg("node-0-dataimage");
        expect(di.type).to.equal("kubernetes:metal3.io/v1alpha1:DataImage");
        const o = asObject(di);
        expect(o.metadata).to.deep.include({ name: "node-0", namespace: "metal3" });
        expect((o as unknown as { spec: unknown }).spec).to.deep.equal({ url: "http://172.22.0.1/data.iso" });
        expect(crds().validate(o)).to.deep.equal([]);
        expect(out.registrations.filter((r) => r.type.endsWith(":DataImage")).map((r) => r.name)).to.deep.equal(["node-0-dataimage"]);
    });

    it("a host with updatePolicy: a HostUpdatePolicy of the host's name and namespace, valid against the CRD; none for a host without one", () => {
        const hup = reg("node-0-update-policy");
        expect(hup.type).to.equal("kubernetes:metal3.io/v1alpha1:HostUpdatePolicy");
        const o = asObject(hup);
        expect(o.metadata).to.deep.include({ name: "node-0", namespace: "metal3" });
        expect((o as unknown as { spec: unknown }).spec).to.deep.equal({ firmwareSettings: "onReboot" });
        expect(crds().validate(o)).to.deep.equal([]);
        expect(out.registrations.filter((r) => r.type.endsWith(":HostUpdatePolicy")).map((r) => r.name)).to.deep.equal(["node-0-update-policy"]);
    });

    it("sends Secret data as Pulumi secrets and keeps the custom resources readable", () => {
        for (const n of ["node-0-bmc-secret", "node-0-user-data", "node-0-meta-data", "worker-0-bootstrap-data"]) {
            expect(reg(n).inputs.data, n).to.have.property(SECRET_SIG);
            expect(containsSecret(reg(n).inputs.metadata), `${n} metadata`).to.equal(false);
        }
        expect(out.secretness).to.deep.equal({
            bmcSecretData: true,
            userDataSecretData: true,
            metaDataSecretData: true,
            bootstrapData: true,
            node2BmcData: true,
        });
        // Readable because nothing but the Secrets' data was secret, not because secrecy was stripped.
        for (const n of ["node-0-bmh", "worker-0-machine", "worker-0-metal3machine"]) {
            expect(containsSecret(reg(n).inputs.spec), `${n} spec`).to.equal(false);
            expect(containsSecret(reg(n).inputs.metadata), `${n} metadata`).to.equal(false);
        }
        for (const n of ["node-0-bmh", "worker-0-machine", "worker-0-metal3machine", "node-1-bmh"]) {
            expect(containsSecret(reg(n).inputs), n).to.equal(false);
            expect(JSON.stringify(reg(n).inputs)).to.not.include("s3cr3t!");
        }
    });

    it("the BareMetalHost the engine receives validates, and its status carries the node UUID and the Secret's resourceVersion", () => {
        const host = asObject(reg("node-0-bmh"));
        expect(crds().validate(host)).to.deep.equal([]);
        expect(host.metadata.namespace).to.equal("metal3");
        const status = JSON.parse(host.metadata.annotations![STATUS_ANNOTATION]);
        expect(crds().validateStatus("metal3.io/v1alpha1", "BareMetalHost", status)).to.deep.equal([]);
        expect(status.provisioning.ID).to.equal("1be26c0b-03f2-4d2e-ae87-c02d7f33c123");
        expect(status.goodCredentials).to.deep.equal({ credentials: { name: "node-0-bmc-secret", namespace: "metal3" }, credentialsVersion: "4242" });
    });

    it("Machine objects: Metal3Machine owned by the Machine's live UID, the BMC Secret labelled by an SSA patch", () => {
        const m3m = asObject(reg("worker-0-metal3machine"));
        expect(crds().validate(m3m)).to.deep.equal([]);
        expect(m3m.metadata.ownerReferences).to.deep.equal([
            {
                apiVersion: "cluster.x-k8s.io/v1beta2",
                kind: "Machine",
                name: "worker-0",
                uid: "uid-of-worker-0-machine",
                controller: true,
                blockOwnerDeletion: true,
            },
        ]);
        expect(reg("worker-0-machine").type).to.equal("kubernetes:cluster.x-k8s.io/v1beta2:Machine");
        // The BareMetalHost itself is not patched: its own object shows the claim (node-1 below).
        expect(out.registrations.find((r) => r.name === "worker-0-host-claim")).to.equal(undefined);
        expect(reg("worker-0-bmc-secret-claim").inputs.metadata).to.deep.equal({
            name: "node-0-bmc-secret",
            namespace: "metal3",
            labels: { "cluster.x-k8s.io/cluster-name": "cluster-a" },
        });
    });

    it("an unclaimed Machine given as one Output: its own namespace, v1beta1, no claim patches", () => {
        const m3m = asObject(reg("worker-1-metal3machine"));
        expect(m3m.apiVersion).to.equal("infrastructure.cluster.x-k8s.io/v1beta1");
        expect(m3m.metadata.namespace).to.equal("other");
        expect(crds().validate(m3m)).to.deep.equal([]);
        expect(out.registrations.filter((r) => r.name.startsWith("worker-1-") && /claim/.test(r.name))).to.deep.equal([]);
    });
});

describe("sdk/kubernetes: secrecy the user asked for is kept (Pulumi mocks)", function () {
    this.timeout(120000);
    it("a host whose description is a secret gets a secret spec (what is rendered from it stays secret)", () => {
        const out = runProgram();
        const r = (out.registrations as Registration[]).find((x) => x.name === "node-2-bmh")!;
        expect(containsSecret(r.inputs.spec)).to.equal(true);
        const bmc = (out.registrations as Registration[]).find((x) => x.name === "node-2-bmc-secret")!;
        expect(bmc.inputs.data).to.have.property(SECRET_SIG);
    });
});

describe("sdk/kubernetes: a host held by a Machine, from its own object (Pulumi mocks)", function () {
    this.timeout(120000);
    it("shows what Metal³ shows: online, consumerRef, image and data refs, cluster label, status provisioned with the image and node", () => {
        const out = runProgram();
        const r = (out.registrations as Registration[]).find((x) => x.name === "node-1-bmh")!;
        const host = JSON.parse(JSON.stringify(r.inputs)) as KubeObject & { spec: any };
        expect(host.spec.online).to.equal(true);
        expect(host.spec.consumerRef).to.deep.equal({
            apiVersion: "infrastructure.cluster.x-k8s.io/v1beta2",
            kind: "Metal3Machine",
            name: "worker-0",
            namespace: "metal3",
        });
        expect(host.spec.image).to.deep.equal({ url: "http://172.22.0.1/images/os.raw", checksum: "abc", format: "raw" });
        expect(host.spec.userData).to.deep.equal({ name: "worker-0-bootstrap-data", namespace: "metal3" });
        expect(host.metadata.labels).to.deep.equal({ "cluster.x-k8s.io/cluster-name": "cluster-a" });
        const status = JSON.parse(host.metadata.annotations![STATUS_ANNOTATION]);
        expect(status.provisioning).to.deep.include({ state: "provisioned", ID: "2be26c0b-03f2-4d2e-ae87-c02d7f33c123" });
        expect(status.provisioning.image).to.deep.equal({ url: "http://172.22.0.1/images/os.raw", checksum: "abc", format: "raw" });
        expect(status.poweredOn).to.equal(true);
        expect(host.metadata.annotations!["pulumi.com/patchForce"]).to.equal("true");
        expect(crds().validate(host)).to.deep.equal([]);
        // The one writer: no patch of the BareMetalHost from the Machine.
        expect((out.registrations as Registration[]).filter((x) => x.type.includes("BareMetalHostPatch"))).to.deep.equal([]);
    });
});

describe("sdk/crds: Metal3Crds (Pulumi mocks)", function () {
    this.timeout(120000);
    it("installs every vendored CRD once, the v1beta1-only Metal3Machine CRD by default, names prefixed", () => {
        const out = runProgram();
        const crdRegs = (out.registrations as Registration[]).filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition");
        // Every CRD of baremetal-operator's and CAPM3's bases (crds/SOURCES.txt), each once.
        const { crdDir } = require("./crd-dir") as typeof import("./crd-dir");
        const yaml = require("js-yaml") as typeof import("js-yaml");
        const names = fs
            .readdirSync(crdDir)
            .filter((f) => f.endsWith(".yaml"))
            .map((f) => (yaml.load(fs.readFileSync(path.join(crdDir, f), "utf8")) as any).metadata.name as string);
        const expected = [...new Set(names)].sort();
        expect(expected).to.have.length(22);
        expect(crdRegs.map((r) => r.inputs.metadata.name).sort()).to.deep.equal(expected);
        for (const kind of [
            "DataImage",
            "HostFirmwareComponents",
            "FirmwareSchema",
            "BMCEventSubscription",
            "HostUpdatePolicy",
            "Metal3Data",
            "Metal3Remediation",
        ])
            expect(
                crdRegs.map((r) => r.inputs.spec.names.kind),
                kind,
            ).to.include(kind);
        for (const r of crdRegs) expect(r.name).to.match(/^metal3-crds-/);
        const m3m = crdRegs.find((r) => r.inputs.metadata.name.startsWith("metal3machines."))!;
        expect(m3m.inputs.spec.versions.map((v: { name: string }) => v.name)).to.deep.equal(["v1beta1"]);
    });

    it("metal3CrdFiles: explicit files win, then url, then the directory with the chosen Metal3Machine CRD", () => {
        const { metal3CrdFiles } = require("../../sdk/crds") as typeof import("../../sdk/crds");
        expect(metal3CrdFiles({ files: ["/a.yaml"], url: "https://x/y.yaml" })).to.deep.equal(["/a.yaml"]);
        expect(metal3CrdFiles({ url: "https://x/y.yaml" })).to.deep.equal(["https://x/y.yaml"]);
        const v2 = metal3CrdFiles({ metal3MachineApi: "v1beta2" }).map((f) => path.basename(f));
        expect(v2).to.include("infrastructure.cluster.x-k8s.io_metal3machines.yaml");
        expect(v2).to.not.include("infrastructure.cluster.x-k8s.io_metal3machines.release-1.12-v1beta1.yaml");
        expect(v2).to.have.length(metal3CrdFiles().length);
    });
});

describe("sdk/kubernetes at preview (Pulumi mocks, dry run)", function () {
    this.timeout(120000);
    /** How the mock monitor shows a value unknown at preview. */
    const UNKNOWN = { __pulumiUnknown: true };
    let regs: Registration[];
    before(() => {
        const program = path.join(__dirname, "emit-program.js");
        regs = JSON.parse(execFileSync(process.execPath, [program, "preview"], { encoding: "utf8", timeout: 100000 })).registrations;
    });
    const reg = (name: string) => regs.find((r) => r.name === name)!;

    it("a new host: spec, name and labels are known; only the status annotation waits for the node UUID", () => {
        const bmh = reg("node-0-bmh").inputs;
        expect(bmh.metadata.name).to.equal("node-0");
        expect(bmh.metadata.namespace).to.equal("metal3");
        expect(bmh.spec).to.deep.include({ online: true, bmc: { address: "ipmi://10.0.0.1", credentialsName: "node-0-bmc-secret" } });
        expect(bmh.metadata.annotations).to.deep.equal(UNKNOWN);
        expect(reg("node-0-bmc-secret").inputs.metadata).to.deep.equal({
            name: "node-0-bmc-secret",
            namespace: "metal3",
            labels: { "environment.metal3.io": "baremetal" },
        });
    });

    it("a new machine: the Metal3Machine's spec and name are known before the Machine's UID", () => {
        const m3m = reg("worker-0-metal3machine").inputs;
        expect(m3m.metadata.name).to.equal("worker-0");
        expect(m3m.metadata.labels).to.deep.equal({ "cluster.x-k8s.io/cluster-name": "c" });
        expect(m3m.metadata.ownerReferences).to.deep.equal(UNKNOWN);
        expect(m3m.metadata.annotations, "metal3.io/BareMetalHost names the host, not yet claimed").to.deep.equal(UNKNOWN);
        expect(reg("worker-0-machine").inputs.metadata.name).to.equal("worker-0");
    });

    it("a new machine: no claim patch before a host is claimed (a patch needs its target's name at check)", () => {
        expect(regs.filter((r) => /claim/.test(r.name)).map((r) => r.name)).to.deep.equal([]);
    });
});
