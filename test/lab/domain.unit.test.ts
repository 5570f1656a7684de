// The lab's libvirt domain XML and sushy-tools configuration, as pure renderings: the NIC is
// user-mode networking with the recorded MAC at a fixed slot (never a libvirt <interface>), the
// agent port is forwarded on loopback only, UEFI needs its own nvram, and the Redfish emulator
// serves only the lab's domains behind basic auth on loopback.
import { expect } from "chai";
import { renderDomainXml, LabDomainSpec, OVMF_CODE } from "../../local/lab/domain";
import { renderSushyConfig } from "../../local/lab/redfish";

const spec: LabDomainSpec = {
    name: "lab-vm-0",
    uuid: "80f60256-f6e1-4087-9796-52858c3685c7",
    mac: "52:54:00:47:1b:1f",
    accel: "tcg",
    firmware: "bios",
    memoryMiB: 2048,
    cpus: 1,
    disk: "/state/lab-vm-0.qcow2",
    consoleLog: "/state/lab-vm-0.console.log",
    agentPort: 9900,
};

describe("lab domain XML (unit)", () => {
    it("gives the one NIC on QEMU's command line: user-mode, the MAC, the agent port forwarded from 127.0.0.1 only", () => {
        const xml = renderDomainXml(spec);
        expect(xml).to.contain("<qemu:arg value='user,id=labnet0,hostfwd=tcp:127.0.0.1:9900-:9999'/>");
        expect(xml).to.contain("<qemu:arg value='virtio-net-pci,netdev=labnet0,mac=52:54:00:47:1b:1f,bus=pcie.0,addr=0x10'/>");
        expect(xml).not.to.match(/<interface|<network|192\.168\.122/);
        expect(xml).to.contain("<domain type='qemu'");
        expect(renderDomainXml({ ...spec, accel: "kvm" })).to.contain("<domain type='kvm'");
    });

    it("has the disk, an empty cdrom for virtual media, the serial console file, BIOS unless uefi", () => {
        const xml = renderDomainXml(spec);
        expect(xml).to.contain("<source file='/state/lab-vm-0.qcow2'/>");
        expect(xml).to.match(/<disk type='file' device='cdrom'>\s*<driver name='qemu' type='raw'\/>\s*<target dev='sda' bus='sata'\/>/);
        expect(xml).to.contain("<source path='/state/lab-vm-0.console.log' append='on'/>");
        expect(xml).not.to.contain("<loader");
        const uefi = renderDomainXml({ ...spec, firmware: "uefi", nvram: "/state/vars.fd" });
        expect(uefi).to.contain(`<loader readonly='yes' type='pflash'>${OVMF_CODE}</loader>`);
        expect(uefi).to.contain(">/state/vars.fd</nvram>");
        expect(() => renderDomainXml({ ...spec, firmware: "uefi" })).to.throw(/nvram/);
    });

    it("carries the forwarded agent port as an SMBIOS OEM string, which the lab's agent advertises (one Ironic command line for all VMs)", () => {
        const xml = renderDomainXml(spec);
        expect(xml).to.match(/<os>[\s\S]*<smbios mode='sysinfo'\/>[\s\S]*<\/os>/);
        expect(xml).to.match(/<sysinfo type='smbios'>\s*<oemStrings>\s*<entry>lab-agent-port=9900<\/entry>\s*<\/oemStrings>\s*<\/sysinfo>/);
        expect(renderDomainXml({ ...spec, agentPort: 9901 })).to.contain("<entry>lab-agent-port=9901</entry>");
    });

    it("escapes what it interpolates", () => {
        expect(renderDomainXml({ ...spec, disk: "/a'b<c>.qcow2" })).to.contain("<source file='/a&apos;b&lt;c&gt;.qcow2'/>");
    });
});

describe("lab sushy-tools config (unit)", () => {
    it("listens on loopback, uses libvirt, requires basic auth and serves only the lab's domains", () => {
        const conf = renderSushyConfig({ port: 8001, htpasswd: "/state/sushy.htpasswd", stateDir: "/state/sushy-state", uuids: [spec.uuid] });
        expect(conf).to.contain("SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'");
        expect(conf).to.contain("SUSHY_EMULATOR_LISTEN_PORT = 8001");
        expect(conf).to.contain("SUSHY_EMULATOR_LIBVIRT_URI = 'qemu:///system'");
        expect(conf).to.contain("SUSHY_EMULATOR_AUTH_FILE = '/state/sushy.htpasswd'");
        expect(conf).to.contain(`SUSHY_EMULATOR_ALLOWED_INSTANCES = ["${spec.uuid}"]`);
    });
});
