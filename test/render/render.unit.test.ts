// Every rendered object validates against the openAPIV3Schema of the real CRDs (crds/, see crds/SOURCES.txt), for
// every BMC scheme of baremetal-operator pkg/hardwareutils/bmc/ plus fake://, with and without image, claimed and unclaimed, and
// for each Machine API version; the status annotation validates exactly like `.status`. Negative
// cases prove the validator rejects what the apiserver would refuse or prune.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import {
    ANNOTATION_ERROR_TYPES,
    ANNOTATION_OPERATIONAL_STATUSES,
    PAUSED_ANNOTATION,
    STATUS_ANNOTATION,
    INSPECT_ANNOTATION,
    HOST_ANNOTATION,
    CLUSTER_NAME_LABEL,
    hostStatus,
    renderBareMetalHost,
    hostObjectList,
    renderMachine,
    secretProblems,
    statusAnnotationValue,
    type BareMetalHostObject,
    type HostRenderInput,
    type HostStatusInput,
    type HardwareDetails,
    type KubeObject,
    type MachineApiVersion,
    type RenderedHost,
} from "../../provider/render";
import { capiCrds, crdDir, crds } from "./crd-dir";
import { machineShapeProblems } from "./capi-machine-shape";

const BMH = "metal3.io/v1alpha1";
const NODE_UUID = "1be26c0b-03f2-4d2e-ae87-c02d7f33c123";

/** baremetal-operator pkg/hardwareutils/bmc/, every accepted form, plus fake:// (Ironic fake-hardware). */
const BMC_ADDRESSES = [
    "192.168.111.1",
    "192.168.111.1:6230",
    "ipmi://192.168.111.1",
    "ipmi://192.168.111.1:6230?privilegelevel=OPERATOR",
    "ipmi://[fd2e:6f44:5dd8::1]:6230",
    "libvirt://192.168.122.1/",
    "redfish://192.168.111.1/redfish/v1/Systems/1",
    "redfish+http://192.168.111.1:8000/redfish/v1/Systems/1",
    "redfish+https://bmc.example.com/redfish/v1/Systems/System.Embedded.1",
    "ilo5-redfish://192.168.111.1/redfish/v1/Systems/1",
    "ilo5-redfish+http://192.168.111.1/redfish/v1/Systems/1",
    "ilo5-redfish+https://192.168.111.1/redfish/v1/Systems/1",
    "idrac-redfish://192.168.111.1/redfish/v1/Systems/System.Embedded.1",
    "idrac-redfish+http://192.168.111.1/redfish/v1/Systems/System.Embedded.1",
    "idrac-redfish+https://192.168.111.1/redfish/v1/Systems/System.Embedded.1",
    "redfish-virtualmedia://192.168.111.1/redfish/v1/Systems/1",
    "redfish-virtualmedia+http://192.168.111.1:8000/redfish/v1/Systems/1",
    "redfish-virtualmedia+https://192.168.111.1/redfish/v1/Systems/1",
    "ilo5-virtualmedia://192.168.111.1/redfish/v1/Systems/1",
    "ilo5-virtualmedia+http://192.168.111.1/redfish/v1/Systems/1",
    "ilo5-virtualmedia+https://192.168.111.1/redfish/v1/Systems/1",
    "idrac-virtualmedia://192.168.111.1/redfish/v1/Systems/System.Embedded.1",
    "idrac-virtualmedia+http://192.168.111.1/redfish/v1/Systems/System.Embedded.1",
    "idrac-virtualmedia+https://192.168.111.1/redfish/v1/Systems/System.Embedded.1",
    "redfish-uefihttp://192.168.111.1/redfish/v1/Systems/1",
    "redfish-uefihttp+http://192.168.111.1/redfish/v1/Systems/1",
    "redfish-uefihttp+https://192.168.111.1/redfish/v1/Systems/1",
    "fake://node-0",
];

const HARDWARE: HardwareDetails = {
    systemVendor: { manufacturer: "QEMU", productName: "Standard PC (Q35 + ICH9, 2009)", serialNumber: "" },
    firmware: { bios: { date: "04/01/2014", vendor: "SeaBIOS", version: "1.16.2" } },
    ramMebibytes: 16384,
    cpu: { arch: "x86_64", model: "Intel Xeon", clockMegahertz: 2399.998, flags: ["avx", "sse4_2"], count: 8 },
    nics: [
        {
            name: "enp1s0",
            model: "0x1af4 0x0001",
            mac: "52:54:00:12:34:56",
            ip: "192.168.111.20",
            speedGbps: 0,
            pxe: true,
            vlanId: 0,
            vlans: [{ id: 100, name: "v100" }],
        },
        {
            name: "enp1s0",
            model: "0x1af4 0x0001",
            mac: "52:54:00:12:34:56",
            ip: "fd2e:6f44:5dd8::20",
            speedGbps: 0,
            pxe: true,
            lldp: { switchID: "aa", portID: "1" },
        },
    ],
    storage: [
        {
            name: "/dev/disk/by-path/pci-0000:04:00.0",
            alternateNames: ["/dev/vda"],
            rotational: true,
            type: "HDD",
            sizeBytes: 53687091200,
            vendor: "0x1af4",
            serialNumber: "s1",
            hctl: "0:0:0:0",
        },
        { name: "/dev/nvme0n1", rotational: false, type: "NVME", sizeBytes: 1e12, model: "Samsung", wwn: "0x5002538e" },
    ],
    hostname: "node-0",
};

const IMAGE = {
    url: "http://172.22.0.1/images/centos.qcow2",
    checksum: "http://172.22.0.1/images/centos.qcow2.sha256sum",
    checksumType: "sha256" as const,
    format: "qcow2" as const,
};

function hostInput(address: string, extra: Partial<HostRenderInput> = {}): HostRenderInput {
    return {
        name: "node-0",
        namespace: "metal3",
        labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "rack-1", role: "worker" },
        bmc: { address, username: "admin", password: "s3cr3t!", disableCertificateVerification: address.startsWith("redfish") },
        bootMACAddress: "52:54:00:12:34:56",
        bootMode: address.startsWith("ipmi") || address.startsWith("libvirt") || !address.includes("://") ? "legacy" : "UEFISecureBoot",
        online: true,
        rootDeviceHints: { deviceName: "/dev/vda", minSizeGigabytes: 20, rotational: true },
        automatedCleaningMode: "metadata",
        description: "rack 1, unit 4",
        architecture: "x86_64",
        ...extra,
    };
}

function expectValid(obj: KubeObject): void {
    const problems = crds().validate(obj);
    expect(problems, `${obj.kind} ${obj.metadata.name}:\n${problems.join("\n")}`).to.deep.equal([]);
}

function statusOf(host: BareMetalHostObject): unknown {
    const raw = host.metadata.annotations?.[STATUS_ANNOTATION];
    expect(raw, "status annotation").to.be.a("string");
    return JSON.parse(raw as string);
}

/** The status annotation passes the same validation as `.status`, and BMO's webhook narrowing. */
function expectValidStatusAnnotation(host: BareMetalHostObject): void {
    const status = statusOf(host) as Record<string, any>;
    const problems = crds().validateStatus(BMH, "BareMetalHost", status);
    expect(problems, problems.join("\n")).to.deep.equal([]);
    expect(ANNOTATION_OPERATIONAL_STATUSES).to.include(status.operationalStatus);
    if (status.errorType !== undefined) expect(ANNOTATION_ERROR_TYPES).to.include(status.errorType);
}

function expectValidSecrets(r: RenderedHost): void {
    for (const s of [r.bmcSecret, ...Object.values(r.dataSecrets)]) expect(secretProblems(s!)).to.deep.equal([]);
}

const b64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

function deepMerge(a: any, b: any): any {
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
        const out = { ...a };
        for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
        return out;
    }
    return b === undefined ? a : b;
}

describe("render: CRD sources", () => {
    it(`judges against ${crdDir}`, () => {
        const c = crds();
        expect(c.find(BMH, "BareMetalHost")).to.have.length(1);
        // Two CAPM3 releases serve Metal3Machine v1beta1: both must accept what we render.
        expect(c.find("infrastructure.cluster.x-k8s.io/v1beta1", "Metal3Machine").map((v) => v.file)).to.have.members([
            "infrastructure.cluster.x-k8s.io_metal3machines.release-1.12-v1beta1.yaml",
            "infrastructure.cluster.x-k8s.io_metal3machines.yaml",
        ]);
        expect(c.find("infrastructure.cluster.x-k8s.io/v1beta2", "Metal3Machine")).to.have.length(1);
        expect(c.notes, "CEL rules this validator cannot evaluate").to.deep.equal([]);
    });

    it("crds/SOURCES.txt names the upstream origin of every vendored CRD, and nothing else", () => {
        const yamlIn = (sub: string) =>
            fs
                .readdirSync(path.join(crdDir, sub))
                .filter((f) => f.endsWith(".yaml"))
                .map((f) => path.posix.join(sub, f));
        const vendored = [...yamlIn("."), ...yamlIn("cluster-api")].map((f) => path.posix.normalize(f)).sort();
        const sources = fs.readFileSync(path.join(crdDir, "SOURCES.txt"), "utf8");
        const listed = [...sources.matchAll(/^\s+(\S+\.yaml)\s+<-\s+\S+\.yaml/gm)].map((m) => m[1]).sort();
        expect(vendored).to.have.length.greaterThan(0);
        expect(listed).to.deep.equal(vendored);
    });
});

describe("render: BareMetalHost for every BMC scheme", () => {
    for (const address of BMC_ADDRESSES) {
        it(`${address}: unclaimed/claimed × without/with image validate, status included`, () => {
            const unclaimed = renderBareMetalHost(
                hostInput(address, {
                    online: false,
                    status: { nodeUuid: NODE_UUID, provisioningState: "available", ironicProvisionState: "available", poweredOn: false, hardware: HARDWARE },
                }),
            );
            const claimed = renderBareMetalHost(
                hostInput(address, {
                    labels: { [CLUSTER_NAME_LABEL]: "cluster-a" },
                    image: IMAGE,
                    userData: "#cloud-config\nssh_authorized_keys: [ssh-ed25519 AAAA]\n",
                    networkData: { links: [{ id: "enp1s0", type: "phy", ethernet_mac_address: "52:54:00:12:34:56" }], networks: [], services: [] },
                    metaData: { "local-hostname": "node-0" },
                    consumerRef: { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "Metal3Machine", name: "worker-0", namespace: "metal3" },
                    status: {
                        nodeUuid: NODE_UUID,
                        provisioningState: "provisioned",
                        ironicProvisionState: "active",
                        poweredOn: true,
                        hardware: HARDWARE,
                        lastUpdated: new Date("2026-11-25T10:00:00.250Z"),
                        credentialsVersion: "12345",
                    },
                }),
            );
            const noStatusWithImage = renderBareMetalHost(hostInput(address, { image: IMAGE }));
            const claimedNoImage = renderBareMetalHost(
                hostInput(address, {
                    consumerRef: { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta2", kind: "Metal3Machine", name: "w", namespace: "metal3" },
                }),
            );
            for (const r of [unclaimed, claimed, noStatusWithImage, claimedNoImage]) {
                expectValid(r.host);
                expectValidSecrets(r);
                expect(r.host.spec.bmc.address).to.equal(address);
                expect(r.host.metadata.annotations?.[PAUSED_ANNOTATION]).to.equal("pulumi-metal3");
            }
            for (const r of [unclaimed, claimed]) expectValidStatusAnnotation(r.host);
            expect(noStatusWithImage.host.metadata.annotations).to.not.have.property(STATUS_ANNOTATION);
            expect(unclaimed.host.spec).to.not.have.property("consumerRef");
            expect(unclaimed.host.spec).to.not.have.property("image");
            expect(claimed.host.spec.consumerRef).to.deep.include({ kind: "Metal3Machine", name: "worker-0" });
            expect(claimed.bmcSecret.metadata.labels).to.deep.equal({ "environment.metal3.io": "baremetal", [CLUSTER_NAME_LABEL]: "cluster-a" });
        });
    }
});

describe("render: BareMetalHost objects in detail", () => {
    const r = renderBareMetalHost(
        hostInput("redfish+http://127.0.0.1:8000/redfish/v1/Systems/1", {
            image: IMAGE,
            userData: "#cloud-config\n",
            networkData: { links: [] },
            metaData: "local-hostname: node-0\n",
            inspectionMode: "disabled",
            externallyProvisioned: false,
            disablePowerOff: false,
            raid: { hardwareRAIDVolumes: null, softwareRAIDVolumes: [{ level: "1", physicalDisks: [{ deviceName: "/dev/sda" }, { deviceName: "/dev/sdb" }] }] },
        }),
    );

    it("BMC Secret: <name>-bmc-secret, Opaque, base64 username/password, BMO's label", () => {
        expect(r.bmcSecret.metadata).to.deep.equal({ name: "node-0-bmc-secret", namespace: "metal3", labels: { "environment.metal3.io": "baremetal" } });
        expect(r.bmcSecret.type).to.equal("Opaque");
        expect(b64(r.bmcSecret.data.username)).to.equal("admin");
        expect(b64(r.bmcSecret.data.password)).to.equal("s3cr3t!");
        expect(r.host.spec.bmc.credentialsName).to.equal("node-0-bmc-secret");
    });

    it("data Secrets use the keys BMO reads first, objects as JSON, and are referenced in the same namespace", () => {
        expect(Object.keys(r.dataSecrets.userData!.data)).to.deep.equal(["userData"]);
        expect(Object.keys(r.dataSecrets.networkData!.data)).to.deep.equal(["networkData"]);
        expect(Object.keys(r.dataSecrets.metaData!.data)).to.deep.equal(["metaData"]);
        expect(b64(r.dataSecrets.userData!.data.userData)).to.equal("#cloud-config\n");
        expect(JSON.parse(b64(r.dataSecrets.networkData!.data.networkData))).to.deep.equal({ links: [] });
        expect(b64(r.dataSecrets.metaData!.data.metaData)).to.equal("local-hostname: node-0\n");
        expect(r.host.spec.userData).to.deep.equal({ name: "node-0-user-data", namespace: "metal3" });
        expect(r.host.spec.networkData).to.deep.equal({ name: "node-0-network-data", namespace: "metal3" });
        expect(r.host.spec.metaData).to.deep.equal({ name: "node-0-meta-data", namespace: "metal3" });
    });

    it("the spec mirrors the inputs with Metal³ names; inspectionMode disabled also sets the legacy annotation", () => {
        expect(r.host.spec).to.deep.include({
            online: true,
            bootMACAddress: "52:54:00:12:34:56",
            bootMode: "UEFISecureBoot",
            automatedCleaningMode: "metadata",
            inspectionMode: "disabled",
            architecture: "x86_64",
            description: "rack 1, unit 4",
            externallyProvisioned: false,
            disablePowerOff: false,
        });
        expect(r.host.spec.image).to.deep.equal(IMAGE);
        expect(r.host.spec.rootDeviceHints).to.deep.equal({ deviceName: "/dev/vda", minSizeGigabytes: 20, rotational: true });
        expect(r.host.metadata.annotations?.[INSPECT_ANNOTATION]).to.equal("disabled");
        expect(JSON.stringify(r.host)).to.not.include("s3cr3t!");
        expectValid(r.host);
    });

    it("customDeploy and live-iso without checksum validate; no inspect annotation unless disabled", () => {
        for (const extra of [
            { customDeploy: { method: "install_coreos" }, inspectionMode: "fast" as const },
            { image: { url: "http://172.22.0.1/live.iso", format: "live-iso" as const }, inspectionMode: "agent" as const },
            { image: { url: "oci://quay.io/example/os:latest" } },
        ]) {
            const x = renderBareMetalHost(hostInput("redfish-virtualmedia://10.0.0.1/redfish/v1/Systems/1", extra));
            expectValid(x.host);
            expect(x.host.metadata.annotations).to.not.have.property(INSPECT_ANNOTATION);
        }
    });

    it("defaults the namespace to `default` and refuses names the apiserver or BMO's webhook would refuse", () => {
        const d = renderBareMetalHost({ name: "h1", bmc: { address: "fake://x", username: "u", password: "p" }, online: false });
        expect(d.host.metadata.namespace).to.equal("default");
        expectValid(d.host);
        expect(() => renderBareMetalHost({ ...hostInput("fake://x"), name: NODE_UUID })).to.throw(/must not be a UUID/);
        expect(() => renderBareMetalHost({ ...hostInput("fake://x"), name: "Node_0" })).to.throw(/DNS subdomain/);
        expect(() => renderBareMetalHost({ ...hostInput("fake://x"), labels: { "bad label": "x" } })).to.throw(/label/);
    });
});

describe("render: HostFirmwareSettings beside the host", () => {
    it("firmware.settings: a HostFirmwareSettings named as the host, spec.settings as given (IntOrString), valid against the CRD; none without settings", () => {
        const r = renderBareMetalHost(
            hostInput("redfish+http://127.0.0.1:8000/redfish/v1/Systems/1", { firmware: { settings: { ProcTurboMode: "Disabled", NumCores: 12 } } }),
        );
        const hfs = r.firmwareSettings!;
        expect(hfs.kind).to.equal("HostFirmwareSettings");
        expect(hfs.metadata).to.deep.equal({ name: r.host.metadata.name, namespace: r.host.metadata.namespace });
        expect(hfs.spec).to.deep.equal({ settings: { NumCores: 12, ProcTurboMode: "Disabled" } });
        expectValid(hfs);
        expect(renderBareMetalHost(hostInput("redfish+http://127.0.0.1:8000/redfish/v1/Systems/1", { firmware: { settings: {} } })).firmwareSettings).to.equal(
            undefined,
        );
        expect(renderBareMetalHost(hostInput("redfish+http://127.0.0.1:8000/redfish/v1/Systems/1")).firmwareSettings).to.equal(undefined);
        // The validator judges this kind too: a boolean is not an IntOrString.
        expect(
            crds()
                .validate({ ...hfs, spec: { settings: { QuietBoot: true } } } as unknown as KubeObject)
                .join("\n"),
        ).to.match(/settings/);
    });
});

describe("render: HostUpdatePolicy beside the host", () => {
    it("updatePolicy.firmwareSettings: a HostUpdatePolicy named as the host, valid against the CRD; none without it", () => {
        const address = "redfish+http://127.0.0.1:8000/redfish/v1/Systems/1";
        const r = renderBareMetalHost(hostInput(address, { updatePolicy: { firmwareSettings: "onReboot" } }));
        const hup = r.updatePolicy!;
        expect(hup.kind).to.equal("HostUpdatePolicy");
        expect(hup.metadata).to.deep.equal({ name: r.host.metadata.name, namespace: r.host.metadata.namespace });
        expect(hup.spec).to.deep.equal({ firmwareSettings: "onReboot" });
        expectValid(hup);
        expect(hostObjectList(r).map((o) => o.kind)).to.include("HostUpdatePolicy");
        expect(renderBareMetalHost(hostInput(address)).updatePolicy).to.equal(undefined);
        expect(renderBareMetalHost(hostInput(address, { updatePolicy: {} })).updatePolicy).to.equal(undefined);
        // The CRD's enum judges the value.
        expect(
            crds()
                .validate({ ...hup, spec: { firmwareSettings: "now" } } as unknown as KubeObject)
                .join("\n"),
        ).to.match(/firmwareSettings/);
    });
});

describe("render: hostStatus and the status annotation", () => {
    const base: HostStatusInput = { nodeUuid: NODE_UUID, provisioningState: "available", poweredOn: false };
    const cases: Array<[string, HostStatusInput, Record<string, unknown>]> = [
        ["registering", { ...base, provisioningState: "registering", ironicProvisionState: "enroll" }, { operationalStatus: "OK" }],
        [
            "registration error",
            { ...base, provisioningState: "registering", ironicProvisionState: "enroll", errorMessage: "Failed to get power state for node x" },
            { operationalStatus: "error", errorType: "registration error", errorCount: 1 },
        ],
        [
            "inspection error",
            { ...base, provisioningState: "inspecting", ironicProvisionState: "inspect failed", errorMessage: "Timeout reached while inspecting the node" },
            { operationalStatus: "error", errorType: "inspection error" },
        ],
        [
            "preparation error",
            { ...base, provisioningState: "preparing", ironicProvisionState: "clean failed", errorMessage: "RAID failed" },
            { errorType: "preparation error" },
        ],
        [
            "provisioning error",
            { ...base, provisioningState: "provisioning", ironicProvisionState: "deploy failed", errorMessage: "image checksum mismatch", errorCount: 3 },
            { errorType: "provisioning error", provisioningFailCount: 1, errorCount: 3 },
        ],
        [
            "deprovisioning clean failed",
            { ...base, provisioningState: "deprovisioning", ironicProvisionState: "clean failed", errorMessage: "x" },
            { errorType: "provisioning error" },
        ],
        [
            "adopt failed",
            { ...base, provisioningState: "provisioned", ironicProvisionState: "adopt failed", errorMessage: "x" },
            { errorType: "provisioned registration error" },
        ],
        [
            "power error",
            { ...base, provisioningState: "provisioned", ironicProvisionState: "active", errorMessage: "IPMI timeout" },
            { errorType: "power management error" },
        ],
        [
            "provisioned",
            { ...base, provisioningState: "provisioned", ironicProvisionState: "active", poweredOn: true, hardware: HARDWARE },
            { operationalStatus: "OK", poweredOn: true },
        ],
        [
            "externally provisioned",
            { ...base, provisioningState: "externally provisioned", ironicProvisionState: "active", poweredOn: true },
            { operationalStatus: "OK" },
        ],
    ];
    for (const [label, observed, expected] of cases) {
        it(`${label}: required fields present, valid as .status and as the annotation`, () => {
            const status = hostStatus(observed, {
                image: IMAGE,
                bootMode: "UEFI",
                rootDeviceHints: { deviceName: "/dev/sda" },
                credentials: { name: "node-0-bmc-secret", namespace: "metal3" },
            });
            for (const k of ["errorCount", "errorMessage", "operationalStatus", "poweredOn", "provisioning", "provisioningFailCount"])
                expect(status).to.have.property(k);
            expect(status.provisioning.ID).to.equal(NODE_UUID);
            expect(status.provisioning.state).to.equal(observed.provisioningState);
            expect(status).to.deep.include(expected);
            expect(crds().validateStatus(BMH, "BareMetalHost", status)).to.deep.equal([]);
            const host = renderBareMetalHost(hostInput("ipmi://10.0.0.1", { image: IMAGE, status: observed }));
            expectValidStatusAnnotation(host.host);
            expect(statusOf(host.host)).to.deep.include({ errorMessage: observed.errorMessage ?? "" });
        });
    }

    it("carries provisioning.image/bootMode only once deployed, credentials only once registered", () => {
        const deployed = hostStatus(
            { ...base, provisioningState: "provisioned" },
            { image: IMAGE, bootMode: "UEFI", credentials: { name: "s", namespace: "n" } },
        );
        expect(deployed.provisioning.image).to.deep.equal(IMAGE);
        expect(deployed.provisioning.bootMode).to.equal("UEFI");
        expect(deployed.goodCredentials).to.deep.equal({ credentials: { name: "s", namespace: "n" } });
        const avail = hostStatus(base, { image: IMAGE, credentials: { name: "s", namespace: "n" } });
        expect(avail.provisioning).to.not.have.property("image");
        const reg = hostStatus(
            { ...base, provisioningState: "registering", ironicProvisionState: "enroll", errorMessage: "bad creds" },
            { credentials: { name: "s", namespace: "n" } },
        );
        expect(reg).to.not.have.property("goodCredentials");
        expect(reg.triedCredentials).to.deep.equal({ credentials: { name: "s", namespace: "n" } });
        expect(hostStatus({ ...base, lastUpdated: "2026-11-25T10:00:00.999Z" }).lastUpdated).to.equal("2026-11-25T10:00:00Z");
    });

    it("narrows servicing to what BMO's webhook admits in the annotation, while .status keeps it", () => {
        const servicing = hostStatus({ ...base, provisioningState: "provisioned", ironicProvisionState: "servicing", poweredOn: true });
        expect(servicing.operationalStatus).to.equal("servicing");
        expect(JSON.parse(statusAnnotationValue(servicing)).operationalStatus).to.equal("OK");
        const failed = hostStatus({ ...base, provisioningState: "provisioned", ironicProvisionState: "service failed", errorMessage: "bios" });
        expect(failed.errorType).to.equal("servicing error");
        expect(crds().validateStatus(BMH, "BareMetalHost", failed)).to.deep.equal([]);
        const ann = JSON.parse(statusAnnotationValue(failed));
        expect(ann).to.not.have.property("errorType");
        expect(ann).to.deep.include({ operationalStatus: "error", errorMessage: "bios" });
    });
});

describe("render: Machine + Metal3Machine for each API version", () => {
    const versions: MachineApiVersion[] = ["v1beta1", "v1beta2"];
    const pool = renderBareMetalHost(hostInput("redfish://10.0.0.1/redfish/v1/Systems/1", { online: false }));
    for (const v of versions) {
        for (const claimed of [false, true]) {
            for (const [what, deploy] of [
                ["image", { image: IMAGE }],
                ["live-iso without checksum", { image: { url: "http://172.22.0.1/live.iso", format: "live-iso" as const } }],
                ["customDeploy", { customDeploy: { method: "install_coreos" } }],
                ["checksumType auto", { image: { ...IMAGE, checksumType: "auto" as const } }],
            ] as const) {
                it(`${v}, ${claimed ? "claimed" : "unclaimed"}, ${what}: objects validate, links hold`, () => {
                    const m = renderMachine(
                        {
                            name: "worker-0",
                            namespace: "metal3",
                            clusterName: "cluster-a",
                            host: claimed ? { name: "node-0" } : undefined,
                            hostSelector: {
                                matchLabels: { role: "worker" },
                                matchExpressions: [
                                    { key: "rack", operator: "In", values: ["r1", "r2"] },
                                    { key: "broken", operator: "DoesNotExist" },
                                ],
                            },
                            userData: "#cloud-config\n",
                            metaData: { "local-hostname": "worker-0" },
                            networkData: { links: [] },
                            automatedCleaningMode: "disabled",
                            failureDomain: "rack-1",
                            version: "v1.31.0",
                            machineUid: claimed ? "0f5c6a8e-2b8e-4c55-9d6c-1a2b3c4d5e6f" : undefined,
                            ...deploy,
                        },
                        v,
                    );
                    expectValid(m.metal3Machine);
                    expect(crds().find(m.metal3Machine.apiVersion, "Metal3Machine").length).to.be.greaterThan(0);
                    expect(machineShapeProblems(m.machine, m.metal3Machine, v)).to.deep.equal([]);
                    for (const s of Object.values(m.dataSecrets)) expect(secretProblems(s!)).to.deep.equal([]);
                    const img = (m.metal3Machine.spec as any).image;
                    if (img) {
                        expect(img).to.have.property(v === "v1beta2" ? "diskFormat" : "format");
                        expect(img).to.not.have.property(v === "v1beta2" ? "format" : "diskFormat");
                        expect(img).to.not.have.property("checksumType", "auto");
                    }
                    expect(m.machine.metadata.labels?.[CLUSTER_NAME_LABEL]).to.equal("cluster-a");
                    expect(m.metal3Machine.metadata.labels?.[CLUSTER_NAME_LABEL]).to.equal("cluster-a");
                    if (claimed) {
                        expect((m.machine.spec as any).providerID).to.equal("metal3://metal3/node-0/worker-0");
                        expect(m.metal3Machine.metadata.annotations?.[HOST_ANNOTATION]).to.equal("metal3/node-0");
                        expect(m.metal3Machine.metadata.ownerReferences).to.deep.equal([
                            {
                                apiVersion: `cluster.x-k8s.io/${v}`,
                                kind: "Machine",
                                name: "worker-0",
                                uid: "0f5c6a8e-2b8e-4c55-9d6c-1a2b3c4d5e6f",
                                controller: true,
                                blockOwnerDeletion: true,
                            },
                        ]);
                        const claim = m.hostClaim!;
                        expect(claim.spec.consumerRef).to.deep.equal({
                            apiVersion: m.metal3Machine.apiVersion,
                            kind: "Metal3Machine",
                            name: "worker-0",
                            namespace: "metal3",
                        });
                        expect(claim.spec).to.not.have.property("online");
                        // The host as the apiserver holds it after the claim patch: still valid.
                        const merged = deepMerge(pool.host, claim);
                        expectValid(merged);
                        expect(merged.metadata.labels[CLUSTER_NAME_LABEL]).to.equal("cluster-a");
                        expect(m.bmcSecretClaim?.metadata).to.deep.equal({
                            name: "node-0-bmc-secret",
                            namespace: "metal3",
                            labels: { [CLUSTER_NAME_LABEL]: "cluster-a" },
                        });
                    } else {
                        expect(m.machine.spec).to.not.have.property("providerID");
                        expect(m.hostClaim).to.equal(undefined);
                        expect(m.metal3Machine.metadata).to.not.have.property("ownerReferences");
                    }
                });
            }
        }
    }

    for (const v of versions) {
        it(`${v}: the Machine validates against Cluster API's own Machine CRD (crds/cluster-api)`, () => {
            const capi = capiCrds();
            const variants = [
                renderMachine({ name: "worker-0", namespace: "metal3", clusterName: "cluster-a", image: IMAGE }, v),
                renderMachine(
                    {
                        name: "worker-0",
                        namespace: "metal3",
                        clusterName: "cluster-a",
                        image: IMAGE,
                        host: { name: "node-0" },
                        failureDomain: "rack-1",
                        version: "v1.31.0",
                        userData: "#cloud-config\n",
                    },
                    v,
                ),
            ];
            for (const m of variants) {
                expect(capi.find(m.machine.apiVersion, "Machine")).to.have.length(1);
                expect(capi.validate(m.machine)).to.deep.equal([]);
            }
            // And it is a real check: the other version's infrastructureRef shape is refused.
            const wrong = JSON.parse(JSON.stringify(variants[0].machine));
            wrong.spec.infrastructureRef =
                v === "v1beta1"
                    ? { apiGroup: "infrastructure.cluster.x-k8s.io", kind: "Metal3Machine", name: "worker-0" }
                    : { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta2", kind: "Metal3Machine", name: "worker-0" };
            expect(capi.validate(wrong).join("\n")).to.match(/infrastructureRef/);
        });
    }

    it("maps selector operators to CAPM3's lower-case syntax and links the bootstrap Secret", () => {
        const m = renderMachine({
            name: "w",
            namespace: "ns",
            clusterName: "c",
            image: IMAGE,
            hostSelector: {
                matchExpressions: [
                    { key: "a", operator: "NotIn", values: ["x"] },
                    { key: "b", operator: "Exists" },
                ],
            },
        });
        expect((m.metal3Machine.spec as any).hostSelector.matchExpressions).to.deep.equal([
            { key: "a", operator: "notin", values: ["x"] },
            { key: "b", operator: "exists", values: [] },
        ]);
        expect((m.machine.spec as any).bootstrap).to.deep.equal({ dataSecretName: "w-bootstrap-data" });
        expect(m.dataSecrets.bootstrap.type).to.equal("cluster.x-k8s.io/secret");
        expect(b64(m.dataSecrets.bootstrap.data.format)).to.equal("cloud-config");
    });

    it("refuses what CAPM3 would refuse", () => {
        expect(() => renderMachine({ name: "w", namespace: "ns", clusterName: "c" })).to.throw(/image or a customDeploy/);
        expect(() => renderMachine({ name: "w", namespace: "ns", clusterName: "c", image: IMAGE, host: { name: "h", namespace: "other" } })).to.throw(
            /another namespace/,
        );
        expect(() => renderMachine({ name: "w", namespace: "ns", clusterName: "", image: IMAGE })).to.throw(/clusterName/);
    });
});

describe("render: the validator catches bad objects (so a pass means something)", () => {
    const good = () => JSON.parse(JSON.stringify(renderBareMetalHost(hostInput("ipmi://10.0.0.1", { image: IMAGE })).host));

    it("wrong enum", () => {
        const h = good();
        h.spec.bootMode = "BIOS";
        expect(crds().validate(h).join("\n")).to.match(/\/spec\/bootMode must be equal to one of the allowed values/);
    });
    it("missing required field (spec.online, bmc.credentialsName, image.url)", () => {
        const h = good();
        delete h.spec.online;
        delete h.spec.bmc.credentialsName;
        delete h.spec.image.url;
        const p = crds().validate(h).join("\n");
        expect(p).to.match(/\/spec must have required property 'online'/);
        expect(p).to.match(/\/spec\/bmc must have required property 'credentialsName'/);
        expect(p).to.match(/\/spec\/image must have required property 'url'/);
    });
    it("unknown field the apiserver would prune (a typo, or diskFormat on the BMH)", () => {
        const h = good();
        h.spec.image.diskFormat = "raw";
        expect(crds().validate(h).join("\n")).to.match(/"diskFormat" \(the apiserver would prune it\)/);
    });
    it("wrong type, pattern and minimum", () => {
        const h = good();
        h.spec.online = "true";
        h.spec.bootMACAddress = "52-54-00-12-34-56";
        h.spec.rootDeviceHints.minSizeGigabytes = -1;
        const p = crds().validate(h).join("\n");
        expect(p).to.match(/\/spec\/online must be boolean/);
        expect(p).to.match(/\/spec\/bootMACAddress must match pattern/);
        expect(p).to.match(/minSizeGigabytes must be >= 0/);
    });
    it("nullable admits null where declared, only there", () => {
        const h = good();
        h.spec.raid = { hardwareRAIDVolumes: null };
        expect(crds().validate(h)).to.deep.equal([]);
        h.spec.rootDeviceHints = null;
        expect(crds().validate(h).join("\n")).to.match(/rootDeviceHints must be object/);
    });
    it("metadata rules the apiserver applies (name, label value)", () => {
        const h = good();
        h.metadata.name = "Node_0";
        h.metadata.labels = { role: "x".repeat(64) };
        const p = crds().validate(h).join("\n");
        expect(p).to.match(/metadata.name must be a lower-case DNS subdomain/);
        expect(p).to.match(/label "role" value/);
    });
    it("status: missing provisioning.ID, wrong operationalStatus, bad date-time, duplicate condition types", () => {
        const s: any = hostStatus({ nodeUuid: NODE_UUID, provisioningState: "available", poweredOn: false });
        delete s.provisioning.ID;
        s.operationalStatus = "healthy";
        s.lastUpdated = "yesterday";
        const cond = { type: "Ready", status: "True", reason: "Ok", message: "", lastTransitionTime: "2026-11-25T10:00:00Z" };
        s.conditions = [cond, cond];
        const p = crds().validateStatus(BMH, "BareMetalHost", s).join("\n");
        expect(p).to.match(/\/status\/provisioning must have required property 'ID'/);
        expect(p).to.match(/\/status\/operationalStatus must be equal to one of the allowed values/);
        expect(p).to.match(/\/status\/lastUpdated must match format "date-time"/);
        expect(p).to.match(/\/status\/conditions list-map items must have unique keys/);
        const ok = {
            ...s,
            provisioning: { state: "available", ID: NODE_UUID },
            operationalStatus: "OK",
            lastUpdated: "2026-11-25T10:00:00Z",
            conditions: [cond],
        };
        expect(crds().validateStatus(BMH, "BareMetalHost", ok)).to.deep.equal([]);
    });
    it("status: missing required errorCount / provisioningFailCount", () => {
        const s: any = hostStatus({ nodeUuid: NODE_UUID, provisioningState: "available", poweredOn: false });
        delete s.errorCount;
        delete s.provisioningFailCount;
        const p = crds().validateStatus(BMH, "BareMetalHost", s).join("\n");
        expect(p).to.match(/required property 'errorCount'/);
        expect(p).to.match(/required property 'provisioningFailCount'/);
    });
    it("Metal3Machine: format vs diskFormat per version, v1.12's required checksum, uri format", () => {
        const v2 = JSON.parse(JSON.stringify(renderMachine({ name: "w", namespace: "ns", clusterName: "c", image: IMAGE }, "v1beta2").metal3Machine));
        v2.spec.image.format = "qcow2";
        v2.spec.image.url = "not a uri";
        const p2 = crds().validate(v2).join("\n");
        expect(p2).to.match(/"format" \(the apiserver would prune it\)/);
        expect(p2).to.match(/\/spec\/image\/url must match format "uri"/);
        const v1 = JSON.parse(JSON.stringify(renderMachine({ name: "w", namespace: "ns", clusterName: "c", image: IMAGE }, "v1beta1").metal3Machine));
        v1.spec.image.diskFormat = "raw";
        delete v1.spec.image.checksum;
        const p1 = crds().validate(v1).join("\n");
        expect(p1).to.match(/"diskFormat" \(the apiserver would prune it\)/);
        expect(p1).to.match(/release-1.12-v1beta1.yaml v1beta1: \/spec\/image must have required property 'checksum'/);
    });
    it("int-or-string (HostFirmwareSettings settings) accepts integers and strings only", () => {
        const hfs = (settings: unknown) =>
            ({ apiVersion: BMH, kind: "HostFirmwareSettings", metadata: { name: "node-0", namespace: "metal3" }, spec: { settings } }) as unknown as KubeObject;
        expect(crds().validate(hfs({ ProcVirtualization: "Enabled", BootTimeout: 30 }))).to.deep.equal([]);
        expect(
            crds()
                .validate(hfs({ ProcVirtualization: true }))
                .join("\n"),
        ).to.match(/settings\/ProcVirtualization/);
    });
    it("an object no CRD serves", () => {
        expect(crds().validate({ apiVersion: "metal3.io/v1beta9", kind: "BareMetalHost", metadata: { name: "a", namespace: "b" } })[0]).to.match(/no CRD/);
    });
});

describe("render: hand-over to baremetal-operator", () => {
    it("the merge patch removes only our pause; the status annotation stays for BMO to restore", () => {
        const { handOverPatch, pausedByUs } = require("../../provider/render") as typeof import("../../provider/render");
        const r = renderBareMetalHost(hostInput("ipmi://10.0.0.1", { status: { nodeUuid: NODE_UUID, provisioningState: "provisioned", poweredOn: true } }));
        expect(pausedByUs(r.host)).to.equal(true);
        const annotations: Record<string, string | null> = { ...r.host.metadata.annotations, ...handOverPatch().metadata.annotations };
        const after = Object.fromEntries(Object.entries(annotations).filter(([, v]) => v !== null)) as Record<string, string>;
        expect(after).to.not.have.property(PAUSED_ANNOTATION);
        expect(after).to.have.property(STATUS_ANNOTATION);
        const host = { ...r.host, metadata: { ...r.host.metadata, annotations: after } };
        expect(pausedByUs(host)).to.equal(false);
        expectValid(host);
        expect(pausedByUs({ metadata: { name: "x", namespace: "y", annotations: { [PAUSED_ANNOTATION]: "metal3.io/capm3" } } })).to.equal(false);
    });
});

describe("render: hardware from the BareMetalHost resource's outputs", () => {
    // The resource's HardwareDetails (provider/host/hardware.ts) carries `source` and numbers as
    // Ironic gave them; the status must hold only the CRD's fields with the CRD's types.
    const { hardwareFromInventory, hardwareFromProperties } = require("../../provider/host/hardware") as typeof import("../../provider/host/hardware");
    const inventory = {
        inventory: {
            hostname: "node-0",
            system_vendor: {
                manufacturer: "QEMU",
                product_name: "Standard PC",
                serial_number: "",
                firmware: { vendor: "SeaBIOS", version: "1.16", build_date: "04/01/2014" },
            },
            memory: { physical_mb: 16383.5, total: 17179869184 },
            cpu: { model_name: "Intel Xeon", frequency: "2399.998", count: 8, architecture: "x86_64", flags: ["sse4_2", "avx"] },
            interfaces: [
                {
                    name: "enp1s0",
                    mac_address: "52:54:00:12:34:56",
                    ipv4_address: "192.168.111.20",
                    ipv6_address: "fd2e::20",
                    vendor: "0x1af4",
                    product: "0x0001",
                    speed_mbps: 1500,
                },
                { name: "weird0", mac_address: "not-a-mac" },
            ],
            disks: [
                {
                    name: "/dev/vda",
                    by_path: "/dev/disk/by-path/pci-0000:04:00.0",
                    rotational: true,
                    size: 53687091200.0,
                    vendor: "0x1af4",
                    serial: "s1",
                    hctl: "0:0:0:0",
                },
            ],
        },
        plugin_data: { all_interfaces: { enp1s0: { pxe: true } } },
    };

    for (const [label, hw] of [
        ["from an inspection inventory", hardwareFromInventory(inventory)],
        [
            "from node properties",
            hardwareFromProperties({ uuid: NODE_UUID, properties: { memory_mb: "4096", cpus: "2", cpu_arch: "x86_64", local_gb: "10" } } as any),
        ],
    ] as const) {
        it(`${label}: the status validates, with only the CRD's keys`, () => {
            expect(hw).to.have.property("source");
            const status = hostStatus({ nodeUuid: NODE_UUID, provisioningState: "available", poweredOn: false, hardware: hw as unknown as HardwareDetails });
            expect(status.hardware).to.not.have.property("source");
            expect(crds().validateStatus(BMH, "BareMetalHost", status)).to.deep.equal([]);
            expect(
                crds()
                    .validateStatus(BMH, "BareMetalHost", { ...status, hardware: hw })
                    .join("\n"),
            ).to.match(/"source"/);
        });
    }

    it("keeps what is valid and drops what is not (bad MAC, out-of-range VLAN), integers rounded", () => {
        const hw = hostStatus({
            nodeUuid: NODE_UUID,
            provisioningState: "available",
            poweredOn: false,
            hardware: hardwareFromInventory(inventory) as unknown as HardwareDetails,
        }).hardware!;
        expect(hw.ramMebibytes).to.equal(16384);
        expect(hw.nics!.map((n) => n.mac)).to.deep.equal(["52:54:00:12:34:56", "52:54:00:12:34:56", undefined]);
        expect(hw.nics![0]).to.deep.include({ name: "enp1s0", ip: "192.168.111.20", speedGbps: 1, pxe: true });
        expect(hw.cpu).to.deep.include({ arch: "x86_64", count: 8, flags: ["avx", "sse4_2"] });
        const odd = hostStatus({
            nodeUuid: NODE_UUID,
            provisioningState: "available",
            poweredOn: false,
            hardware: { nics: [{ vlanId: 5000, vlans: [{ id: 7, name: "a" }, { id: -1 }] }] } as any,
        }).hardware!;
        expect(odd.nics).to.deep.equal([{ vlans: [{ id: 7, name: "a" }, {}] }]);
    });
});

describe("render: determinism", () => {
    it("the same input renders the same objects (no clock, no randomness), so previews show no spurious diff", async () => {
        const input = hostInput("ipmi://10.0.0.1", { image: IMAGE, status: { nodeUuid: NODE_UUID, provisioningState: "provisioned", poweredOn: true } });
        const a = JSON.stringify(renderBareMetalHost(input));
        await new Promise((r) => setTimeout(r, 1100));
        expect(JSON.stringify(renderBareMetalHost(input))).to.equal(a);
        expect(statusOf(renderBareMetalHost(input).host)).to.not.have.property("lastUpdated");
        const m = (v: MachineApiVersion) =>
            JSON.stringify(renderMachine({ name: "w", namespace: "ns", clusterName: "c", image: IMAGE, host: { name: "h" } }, v));
        expect(m("v1beta2")).to.equal(m("v1beta2"));
    });
});
