import { expect } from "chai";
import { check } from "../../sdk/providers/host";
import { UNKNOWN } from "../../sdk/schemas/common";

const base = { name: "node-1", bmc: { address: "redfish://10.0.0.1/redfish/v1/Systems/1", username: "admin", password: "pw" }, online: true };
const image = { url: "http://images.example/os.qcow2", checksum: "0123abcd", format: "qcow2" };

/** [case, inputs, property that must be named] */
const BAD: Array<[string, Record<string, unknown>, string]> = [
    ["unknown BMC scheme", { ...base, bmc: { ...base.bmc, address: "irmc://10.0.0.1" } }, "bmc.address"],
    ["malformed BMC host", { ...base, bmc: { ...base.bmc, address: "redfish://-bad-.example/x" } }, "bmc.address"],
    ["transport on ipmi", { ...base, bmc: { ...base.bmc, address: "ipmi+https://10.0.0.1" } }, "bmc.address"],
    ["missing BMC username", { ...base, bmc: { address: "ipmi://10.0.0.1", password: "pw" } }, "bmc.username"],
    ["missing BMC password", { ...base, bmc: { address: "ipmi://10.0.0.1", username: "u" } }, "bmc.password"],
    ["blank BMC password", { ...base, bmc: { address: "ipmi://10.0.0.1", username: "u", password: "  " } }, "bmc.password"],
    ["missing bmc", { name: "n", online: true }, "bmc"],
    ["missing online", { name: "n", bmc: base.bmc }, "online"],
    ["online not boolean", { ...base, online: "yes" }, "online"],
    ["bad MAC", { ...base, bootMACAddress: "00:11:22:33:44" }, "bootMACAddress"],
    ["MAC with dashes", { ...base, bootMACAddress: "00-11-22-33-44-55" }, "bootMACAddress"],
    ["libvirt without MAC", { ...base, bmc: { ...base.bmc, address: "libvirt://10.0.0.1" } }, "bootMACAddress"],
    ["inspection disabled without MAC", { ...base, inspectionMode: "disabled" }, "bootMACAddress"],
    ["fast inspection on ipmi", { ...base, bmc: { ...base.bmc, address: "ipmi://10.0.0.1" }, inspectionMode: "fast" }, "inspectionMode"],
    ["unknown inspection mode", { ...base, inspectionMode: "slow" }, "inspectionMode"],
    ["UEFISecureBoot on ipmi", { ...base, bmc: { ...base.bmc, address: "ipmi://10.0.0.1" }, bootMode: "UEFISecureBoot" }, "bootMode"],
    ["unknown boot mode", { ...base, bootMode: "BIOS" }, "bootMode"],
    ["image without checksum", { ...base, image: { url: "http://x/os.qcow2", format: "qcow2" } }, "image.checksum"],
    ["image with empty checksum", { ...base, image: { url: "http://x/os.qcow2", checksum: "" } }, "image.checksum"],
    ["unknown checksum type", { ...base, image: { ...image, checksumType: "crc32" } }, "image.checksumType"],
    ["unknown image format", { ...base, image: { ...image, format: "iso" } }, "image.format"],
    ["image URL not a URL", { ...base, image: { ...image, url: "os.qcow2" } }, "image.url"],
    ["image URL scheme", { ...base, image: { ...image, url: "smb://server/os.qcow2" } }, "image.url"],
    ["oci image with checksum", { ...base, image: { url: "oci://registry/os:1", checksum: "abc" } }, "image.checksum"],
    ["image and customDeploy", { ...base, image, customDeploy: { method: "install" } }, "customDeploy"],
    ["customDeploy without method", { ...base, customDeploy: {} }, "customDeploy.method"],
    ["root device name not under /dev", { ...base, rootDeviceHints: { deviceName: "sda" } }, "rootDeviceHints.deviceName"],
    ["negative minSizeGigabytes", { ...base, rootDeviceHints: { minSizeGigabytes: -1 } }, "rootDeviceHints.minSizeGigabytes"],
    ["unknown root device hint", { ...base, rootDeviceHints: { size: 10 } }, "rootDeviceHints.size"],
    ["online false with disablePowerOff", { ...base, online: false, disablePowerOff: true }, "online"],
    [
        "hardware RAID on ipmi",
        { ...base, bmc: { ...base.bmc, address: "ipmi://10.0.0.1" }, raid: { hardwareRAIDVolumes: [{ level: "1" }] } },
        "raid.hardwareRAIDVolumes",
    ],
    ["negative RAID size", { ...base, raid: { hardwareRAIDVolumes: [{ level: "1", sizeGibibytes: -5 }] } }, "raid.hardwareRAIDVolumes.0.sizeGibibytes"],
    ["unknown RAID level", { ...base, raid: { hardwareRAIDVolumes: [{ level: "3" }] } }, "raid.hardwareRAIDVolumes.0.level"],
    [
        "physicalDisks without controller",
        { ...base, raid: { hardwareRAIDVolumes: [{ level: "1", physicalDisks: ["a", "b"], numberOfPhysicalDisks: 2 }] } },
        "raid.hardwareRAIDVolumes.0.controller",
    ],
    [
        "physicalDisks count mismatch",
        { ...base, raid: { hardwareRAIDVolumes: [{ level: "1", controller: "c", physicalDisks: ["a"], numberOfPhysicalDisks: 2 }] } },
        "raid.hardwareRAIDVolumes.0.physicalDisks",
    ],
    ["first software RAID not RAID-1", { ...base, raid: { softwareRAIDVolumes: [{ level: "0" }] } }, "raid.softwareRAIDVolumes.0.level"],
    ["three software RAID volumes", { ...base, raid: { softwareRAIDVolumes: [{ level: "1" }, { level: "0" }, { level: "0" }] } }, "raid.softwareRAIDVolumes"],
    ["hardware and software RAID", { ...base, raid: { hardwareRAIDVolumes: [{ level: "1" }], softwareRAIDVolumes: [{ level: "1" }] } }, "raid"],
    ["lower-case trait", { ...base, traits: ["custom_gpu"] }, "traits.0"],
    ["trait with a dash", { ...base, traits: ["CUSTOM_GPU-A100"] }, "traits.0"],
    ["duplicate trait", { ...base, traits: ["CUSTOM_A", "CUSTOM_A"] }, "traits.1"],
    ["label key with spaces", { ...base, labels: { "bad key": "x" } }, "labels.bad key"],
    ["label prefix upper case", { ...base, labels: { "Example.COM/rack": "r1" } }, "labels.Example.COM/rack"],
    ["label value too long", { ...base, labels: { rack: "r".repeat(64) } }, "labels.rack"],
    ["label value with slash", { ...base, labels: { rack: "a/b" } }, "labels.rack"],
    ["host name with a slash", { ...base, name: "a/b" }, "name"],
    ["host name is a UUID", { ...base, name: "6f1c4c8e-1111-4222-8333-944455556666" }, "name"],
    ["namespace upper case", { ...base, namespace: "Prod" }, "namespace"],
    ["automated cleaning mode", { ...base, automatedCleaningMode: "full" }, "automatedCleaningMode"],
    ["negative timeout", { ...base, timeouts: { create: "-1m" } }, "timeouts.create"],
    ["zero timeout", { ...base, timeouts: { deploy: "0s" } }, "timeouts.deploy"],
    ["timeout without a unit", { ...base, timeouts: { create: "30" } }, "timeouts.create"],
    ["timeout as a plain number (minutes before 0.2)", { ...base, timeouts: { create: 30 } }, "timeouts.create"],
    ["power timeout longer than the create", { ...base, timeouts: { create: "10m", power: "1h" } }, "timeouts.power"],
    ["unknown timeout phase", { ...base, timeouts: { forever: "1m" } }, "timeouts.forever"],
    ["bad ironic URL", { ...base, ironic: { url: "not a url" } }, "ironic.url"],
    ["bad ironic auth type", { ...base, ironic: { authType: "kerberos" } }, "ironic.authType"],
    ["unknown top-level field", { ...base, hardwareProfile: "dell" }, "hardwareProfile"],
    ["resource class with spaces", { ...base, resourceClass: "big metal" }, "resourceClass"],
    ["userData a number", { ...base, userData: 42 }, "userData"],
];

describe("host/schema: check turns bad inputs into failures naming the property", () => {
    it(`has at least 30 cases (${BAD.length})`, () => expect(BAD.length).to.be.at.least(30));
    for (const [what, inputs, property] of BAD) {
        it(`rejects ${what} (${property})`, async () => {
            const r = await check({}, { ...inputs, __provider: "serialized" });
            expect(r.failures, JSON.stringify(r.failures)).to.be.an("array").that.is.not.empty;
            const props = r.failures!.map((f) => f.property);
            expect(props, JSON.stringify(r.failures)).to.include(property);
            for (const f of r.failures!) expect(f.reason).to.be.a("string").and.not.equal("");
        });
    }

    it("accepts valid inputs of every kind (fake:// needs no credentials)", async () => {
        const good = [
            base,
            { name: "f", bmc: { address: "fake://" }, online: false },
            {
                ...base,
                bootMACAddress: "AA:bb:CC:00:11:22",
                bootMode: "UEFISecureBoot",
                image,
                userData: "#cloud-config\n",
                networkData: { links: [] },
                metaData: "a: b",
            },
            { ...base, image: { url: "http://x/live.iso", format: "live-iso" } },
            { ...base, image: { url: "oci://registry/os:1" } },
            { ...base, customDeploy: { method: "install_coreos" } },
            { ...base, rootDeviceHints: { deviceName: "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", minSizeGigabytes: 100, rotational: false } },
            {
                ...base,
                labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "rack-1", role: "" },
                traits: ["CUSTOM_GPU", "HW_CPU_X86_AVX2"],
                resourceClass: "gpu.large",
            },
            {
                ...base,
                raid: {
                    hardwareRAIDVolumes: [{ level: "1+0", sizeGibibytes: 0, controller: "RAID.1", physicalDisks: ["d1", "d2"], numberOfPhysicalDisks: 2 }],
                },
            },
            { ...base, raid: { softwareRAIDVolumes: [{ level: "1", rootVolume: true }, { level: "0" }] } },
            {
                ...base,
                disablePowerOff: true,
                timeouts: { create: "1h30m", inspect: "10m", power: "90s" },
                ironic: { url: "http://127.0.0.1:6385", authType: "none" },
            },
        ];
        for (const g of good) {
            const r = await check({}, g);
            expect(r.failures, `${JSON.stringify(g)} → ${JSON.stringify(r.failures)}`).to.equal(undefined);
        }
    });

    it("accepts the preview UNKNOWN sentinel anywhere, and skips the cross-field rules it hides", async () => {
        const cases = [
            { ...base, bmc: UNKNOWN },
            { ...base, bmc: { address: UNKNOWN, username: UNKNOWN, password: UNKNOWN } },
            { ...base, online: UNKNOWN, disablePowerOff: true },
            { ...base, bootMACAddress: UNKNOWN, inspectionMode: "disabled" },
            { ...base, image: UNKNOWN },
            { ...base, image: { url: UNKNOWN, checksum: UNKNOWN, format: UNKNOWN } },
            { ...base, image: { url: "http://x/os.qcow2", format: UNKNOWN } },
            { ...base, userData: UNKNOWN, labels: { a: UNKNOWN }, traits: [UNKNOWN, "CUSTOM_X"] },
            { ...base, name: UNKNOWN, namespace: UNKNOWN, rootDeviceHints: { deviceName: UNKNOWN } },
            { ...base, ironic: UNKNOWN, timeouts: UNKNOWN, raid: UNKNOWN },
        ];
        for (const c of cases) {
            const r = await check({}, c);
            expect(r.failures, `${JSON.stringify(c)} → ${JSON.stringify(r.failures)}`).to.equal(undefined);
        }
    });

    it("returns the inputs unchanged (no defaults injected, so diffs stay quiet)", async () => {
        const news = { ...base, __provider: "p" };
        expect((await check({}, news)).inputs).to.deep.equal(news);
    });
});
