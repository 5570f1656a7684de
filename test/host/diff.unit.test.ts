import { expect } from "chai";
import { captureLogger, CapturedLog } from "../support/capture-logger";
import { diff } from "../../sdk/providers/host";
import { secretDigest } from "../../provider/host/desired";
import { ownerKeyId } from "../../provider/owner-record";
import { setStackOwnerKey } from "../../sdk/owner";
import { UNKNOWN } from "../../sdk/schemas/common";
import { buildConfigDrive } from "../../provider/host/configdrive";
import { instancePatch, ironicRootDevice } from "../../provider/host/instance";
import type { Node } from "../../provider/ironic/types";

const key = "0123456789abcdef0123456789abcdef";
const image = { url: "http://images.example/os.qcow2", checksum: "abc", format: "qcow2" };
const inputs = {
    name: "h1",
    bmc: { address: "redfish://10.0.0.1/redfish/v1/Systems/1", username: "admin", password: "s3cret" },
    online: true,
    bootMACAddress: "52:54:00:00:00:01",
    image,
    userData: "#cloud-config\n",
    labels: { rack: "r1" },
};
/** Outputs as create stores them: public inputs + salted digests + state. */
const olds = {
    name: "h1",
    bmc: { address: inputs.bmc.address, username: "admin" },
    online: true,
    bootMACAddress: "52:54:00:00:00:01",
    image,
    labels: { rack: "r1" },
    secretDigests: { key, bmcPassword: secretDigest(key, "s3cret"), userData: secretDigest(key, "#cloud-config\n"), ownerKeyId: ownerKeyId(key) },
    provisioningState: "provisioned",
    nodeUuid: "u",
};

/** diff() with a capturing logger: its result, and what it told the user (warnings are the WILL lines). */
async function captureStderr<T>(f: (log: CapturedLog) => Promise<T>): Promise<{ result: T; stderr: string }> {
    const log = captureLogger();
    const result = await f(log);
    return { result, stderr: log.text() };
}

describe("host/diff: replaces vs changes vs nothing, unknowns at preview", () => {
    it("equal inputs, including secrets (compared by salted digest) → no change", async () => {
        const d = await diff("u", olds, { ...inputs, __provider: "x" });
        expect(d.changes).to.equal(false);
        expect(d.replaces).to.deep.equal([]);
    });
    it("an owner record not yet keyed (state of an earlier release) or keyed under another key than the stack's → an update that rewrites it, nothing else", async () => {
        const { secretDigests, ...rest } = olds;
        const { ownerKeyId: _id, ...unkeyed } = secretDigests;
        const d = await diff("u", { ...rest, secretDigests: unkeyed }, { ...inputs, __provider: "x" });
        expect(d.changes).to.equal(true);
        expect(d.changed).to.deep.equal(["ownerRecord"]);
        expect(d.reprovision).to.equal(undefined);
        // The stack's ownerKey set since: the record is rekeyed under it.
        setStackOwnerKey("f".repeat(64));
        try {
            expect((await diff("u", olds, { ...inputs, __provider: "x" })).changed).to.deep.equal(["ownerRecord"]);
            expect(
                (await diff("u", { ...olds, secretDigests: { ...secretDigests, ownerKeyId: ownerKeyId("f".repeat(64)) } }, { ...inputs, __provider: "x" }))
                    .changes,
            ).to.equal(false);
        } finally {
            setStackOwnerKey(undefined);
        }
    });
    it("a new BMC password or user data → change, without the old value in state", async () => {
        expect((await diff("u", olds, { ...inputs, bmc: { ...inputs.bmc, password: "other" } })).changed).to.deep.equal(["bmc.password"]);
        expect(JSON.stringify(olds)).to.not.contain("s3cret");
    });
    it("boot MAC change → replace (case-insensitive compare); first MAC → change", async () => {
        expect((await diff("u", olds, { ...inputs, bootMACAddress: "52:54:00:00:00:01".toUpperCase() })).changes).to.equal(false);
        expect((await diff("u", olds, { ...inputs, bootMACAddress: "52:54:00:00:00:02" })).replaces).to.deep.equal(["bootMACAddress"]);
        const { bootMACAddress: _m, ...noMac } = olds;
        const d = await diff("u", noMac, inputs);
        expect(d.replaces).to.deep.equal([]);
        expect(d.changed).to.include("bootMACAddress");
    });
    it("name / namespace change → replace; default namespace equals unset", async () => {
        expect((await diff("u", olds, { ...inputs, name: "h2" })).replaces).to.deep.equal(["name"]);
        expect((await diff("u", olds, { ...inputs, namespace: "prod" })).replaces).to.deep.equal(["namespace"]);
        expect((await diff("u", olds, { ...inputs, namespace: "default" })).changes).to.equal(false);
    });
    it("BMC scheme that changes the driver → update in place (Ironic switches the driver), no wipe; new address → change", async () => {
        const scheme = await diff("u", olds, { ...inputs, bmc: { ...inputs.bmc, address: "ipmi://10.0.0.1" } });
        expect(scheme.replaces).to.deep.equal([]);
        expect(scheme.changed).to.deep.equal(["bmc.address"]);
        expect(scheme.reprovision).to.equal(undefined);
        const d = await diff("u", olds, { ...inputs, bmc: { ...inputs.bmc, address: "redfish-virtualmedia://10.0.0.2/redfish/v1/Systems/1" } });
        expect(d.replaces).to.deep.equal([]);
        expect(d.changed).to.deep.equal(["bmc.address"]);
    });
    it("online, labels, traits, description, cleaning mode → in-place change", async () => {
        for (const [k, v] of Object.entries({
            online: false,
            labels: { rack: "r2" },
            traits: ["CUSTOM_X"],
            description: "d",
            automatedCleaningMode: "disabled",
        })) {
            const d = await diff("u", olds, { ...inputs, [k]: v });
            expect(d.replaces, k).to.deep.equal([]);
            expect(d.changed, k).to.deep.equal([k]);
        }
    });
    it("image change on a provisioned host → change, announced on stderr as a reprovision", async () => {
        const { result, stderr } = await captureStderr((log) =>
            diff("u", olds, { ...inputs, image: { ...image, url: "http://images.example/os2.qcow2" } }, log),
        );
        expect(result.changed).to.deep.equal(["image"]);
        expect(result.reprovision).to.match(/REPROVISION/);
        expect(stderr).to.contain("WILL REPROVISION (wipe) host default~h1: image changed");
    });
    it("user data change on a provisioned host → reprovision; image removed → deprovision", async () => {
        const { stderr } = await captureStderr((log) => diff("u", olds, { ...inputs, userData: "#cloud-config\nusers: []\n" }, log));
        expect(stderr).to.contain("WILL REPROVISION (wipe) host default~h1: userData changed");
        const { image: _i, ...noImage } = inputs;
        const r = await captureStderr((log) => diff("u", olds, noImage, log));
        expect(r.stderr).to.contain("WILL DEPROVISION (wipe) host default~h1: image removed");
    });
    it("image change on a host that is only available → change, no wipe announced", async () => {
        const { result, stderr } = await captureStderr((log) =>
            diff("u", { ...olds, provisioningState: "available" }, { ...inputs, image: { ...image, checksum: "def" } }, log),
        );
        expect(result.changes).to.equal(true);
        expect(result.reprovision).to.equal(undefined);
        expect(stderr).to.equal("");
    });
    it("an image still unknown at preview on a provisioned host → announced as a possible wipe", async () => {
        const { result, stderr } = await captureStderr((log) => diff("u", olds, { ...inputs, image: UNKNOWN }, log));
        expect(result.changes).to.equal(true);
        expect(stderr).to.contain("WILL POSSIBLY REPROVISION (wipe) host default~h1: image not known until apply");
    });
    it("unknowns at preview: unknown image / user data / bmc → change; unknown boot MAC → replace", async () => {
        expect((await diff("u", olds, { ...inputs, image: UNKNOWN })).changed).to.include("image");
        expect((await diff("u", olds, { ...inputs, userData: UNKNOWN })).changed).to.include("userData");
        expect((await diff("u", olds, { ...inputs, bmc: UNKNOWN })).changed).to.include("bmc");
        expect((await diff("u", olds, { ...inputs, bmc: { ...inputs.bmc, password: UNKNOWN } })).changed).to.include("bmc.password");
        expect((await diff("u", olds, { ...inputs, bootMACAddress: UNKNOWN })).replaces).to.deep.equal(["bootMACAddress"]);
    });
});

describe("host/hardware: Ironic inventory → Metal³ HardwareDetails", () => {
    it("maps CPU, RAM, NICs (one entry per IP family), disks and firmware as BMO does", () => {
        const { hardwareDetails } = require("../../provider/host/hardware");
        const hw = hardwareDetails({ properties: {} } as unknown as Node, {
            inventory: {
                cpu: { architecture: "x86_64", model_name: "Xeon", frequency: "2400.6", flags: ["sse2", "avx"], count: 16 },
                memory: { physical_mb: 65536 },
                interfaces: [
                    {
                        name: "eth0",
                        mac_address: "52:54:00:00:00:01",
                        ipv4_address: "10.0.0.5",
                        ipv6_address: "fd00::5",
                        speed_mbps: 10000,
                        vendor: "0x8086",
                        product: "0x1572",
                    },
                ],
                disks: [
                    { name: "/dev/sda", by_path: "/dev/disk/by-path/pci-0", rotational: true, size: 1000204886016, serial: "S1", hctl: "0:0:0:0" },
                    { name: "/dev/nvme0n1", rotational: false, size: 512110190592 },
                ],
                system_vendor: {
                    manufacturer: "Dell",
                    product_name: "R640",
                    serial_number: "ABC",
                    firmware: { vendor: "Dell", version: "2.1", build_date: "2024-01-01" },
                },
                hostname: "node-1",
            },
            plugin_data: { all_interfaces: { eth0: { pxe: true } } },
        });
        expect(hw.source).to.equal("inventory");
        expect(hw.cpu).to.deep.equal({ arch: "x86_64", model: "Xeon", clockMegahertz: 2401, flags: ["avx", "sse2"], count: 16 });
        expect(hw.ramMebibytes).to.equal(65536);
        expect(hw.nics.map((n: { ip: string }) => n.ip)).to.deep.equal(["10.0.0.5", "fd00::5"]);
        expect(hw.nics[0]).to.include({ name: "eth0", mac: "52:54:00:00:00:01", speedGbps: 10, pxe: true, model: "0x8086 0x1572" });
        expect(hw.storage[0]).to.include({ name: "/dev/disk/by-path/pci-0", type: "HDD", sizeBytes: 1000204886016, serialNumber: "S1", hctl: "0:0:0:0" });
        expect(hw.storage[0].alternateNames).to.deep.equal(["/dev/sda"]);
        expect(hw.storage[1]).to.include({ name: "/dev/nvme0n1", type: "NVME" });
        expect(hw.systemVendor).to.deep.equal({ manufacturer: "Dell", productName: "R640", serialNumber: "ABC" });
        expect(hw.firmware.bios).to.deep.equal({ date: "2024-01-01", vendor: "Dell", version: "2.1" });
        expect(hw.hostname).to.equal("node-1");
    });
    it("without an inventory: the node's properties", () => {
        const { hardwareDetails } = require("../../provider/host/hardware");
        const hw = hardwareDetails({ properties: { cpus: "8", memory_mb: "16384", local_gb: "100", cpu_arch: "aarch64" } } as unknown as Node, undefined);
        expect(hw).to.deep.equal({
            source: "properties",
            ramMebibytes: 16384,
            cpu: { arch: "aarch64", count: 8 },
            storage: [{ name: "root", sizeBytes: 100 * 1024 ** 3 }],
        });
    });
});

describe("host/raid: Metal³ RAID → Ironic target_raid_config", () => {
    it("software RAID: agent raid interface, controller software, physical disks as root device hints, first volume root", () => {
        const { raidPlan, raidCleanSteps } = require("../../provider/host/raid");
        const plan = raidPlan(
            {
                softwareRAIDVolumes: [
                    { level: "1", physicalDisks: [{ deviceName: "/dev/sda" }, { deviceName: "/dev/sdb" }] },
                    { level: "0", sizeGibibytes: 10 },
                ],
            },
            undefined,
        );
        expect(plan.raidInterface).to.equal("agent");
        expect(plan.logical_disks).to.deep.equal([
            {
                size_gb: "MAX",
                raid_level: "1",
                controller: "software",
                physical_disks: [{ name: "s== /dev/sda" }, { name: "s== /dev/sdb" }],
                is_root_volume: true,
            },
            { size_gb: 10, raid_level: "0", controller: "software" },
        ]);
        expect(raidCleanSteps(plan, { eraseMetadata: true })).to.deep.equal([
            { interface: "raid", step: "delete_configuration" },
            { interface: "deploy", step: "erase_devices_metadata" },
            { interface: "raid", step: "create_configuration" },
        ]);
    });
    it("hardware RAID: disk type from rotational; no root volume when root device hints are set; unset raid = unmanaged", () => {
        const { raidPlan } = require("../../provider/host/raid");
        expect(
            raidPlan({ hardwareRAIDVolumes: [{ level: "1+0", rotational: false, controller: "RAID.1", numberOfPhysicalDisks: 4 }] }, { deviceName: "/dev/sdb" })
                .logical_disks,
        ).to.deep.equal([{ size_gb: "MAX", raid_level: "1+0", controller: "RAID.1", disk_type: "ssd", number_of_physical_disks: 4 }]);
        expect(raidPlan(undefined, undefined)).to.equal(undefined);
    });
});

describe("host/configdrive and instance_info", () => {
    it("config drive: BMO's default meta_data, user meta_data merged over it, network_data parsed from YAML", () => {
        const drive = buildConfigDrive({
            hostName: "h1",
            namespace: "prod",
            uuid: "u-1",
            userData: "#cloud-config\n",
            networkData: "links:\n- id: eth0\n",
            metaData: '{"name": "custom", "role": "db"}',
        });
        expect(drive.meta_data).to.deep.equal({
            uuid: "u-1",
            "metal3-namespace": "prod",
            "metal3-name": "h1",
            "local-hostname": "h1",
            local_hostname: "h1",
            name: "custom",
            role: "db",
        });
        expect(drive.user_data).to.equal("#cloud-config\n");
        expect(drive.network_data).to.deep.equal({ links: [{ id: "eth0" }] });
    });
    it("root device hints use BMO's operators", () => {
        expect(
            ironicRootDevice({ deviceName: "/dev/disk/by-path/pci-1", model: "SSD", minSizeGigabytes: 100, rotational: false, serialNumber: "s1" }),
        ).to.deep.equal({
            by_path: "s== /dev/disk/by-path/pci-1",
            model: "<in> SSD",
            size: ">= 100",
            rotational: "false",
            serial: "s== s1",
        });
    });
    it("instance_info: explicit checksum type → os_hash fields; live-iso → boot_iso + ramdisk deploy; SecureBoot capability", () => {
        const n = { deploy_interface: "direct", instance_info: { image_source: "old" }, properties: {} } as unknown as Node;
        const ops = instancePatch(n, { image: { url: "http://x/a.raw", checksum: "ff", checksumType: "sha256", format: "raw" }, bootMode: "UEFISecureBoot" });
        const paths = Object.fromEntries(ops.map((o) => [o.path, o.op === "remove" ? "REMOVE" : o.value]));
        expect(paths).to.deep.include({
            "/instance_info/image_source": "http://x/a.raw",
            "/instance_info/image_os_hash_algo": "sha256",
            "/instance_info/image_os_hash_value": "ff",
            "/instance_info/capabilities": { secure_boot: "true" },
        });
        expect(paths["/properties/capabilities"]).to.equal("boot_mode:uefi,secure_boot:true");
        const iso = Object.fromEntries(instancePatch(n, { image: { url: "http://x/live.iso", format: "live-iso" } }).map((o) => [o.path, o.value]));
        expect(iso["/instance_info/boot_iso"]).to.equal("http://x/live.iso");
        expect(iso["/deploy_interface"]).to.equal("ramdisk");
    });
});
