// libvirt domain XML for a lab VM: the VM sushy-tools' libvirt driver and virtualbmc manage.
// No libvirt network at all: the one NIC is QEMU user-mode networking given on QEMU's own command
// line (the guest reaches this machine's loopback as 10.0.2.2; a loopback port is forwarded to
// the agent's API port so Ironic can call the agent back). A cdrom drive is there, empty, for
// virtual media. QEMU runs as root for this domain (DAC label +0:+0) so it can open the disk and
// console files in the lab's state directory under root's home. QEMU's default CPU model: the
// host's (host-passthrough) fails under nested KVM here ("failed to set MSR 0x10a"). The NIC sits
// at a fixed slot of pcie.0 (0x10), away from the slots libvirt assigns its own devices. The
// forwarded agent port is also an SMBIOS OEM string (lab-agent-port=N): the lab's agent advertises
// it (local/lab/build-agent.sh lab-agent), so several VMs share one Ironic's kernel parameters.

export interface LabDomainSpec {
    name: string;
    uuid: string;
    mac: string;
    accel: "kvm" | "tcg";
    firmware: "bios" | "uefi";
    memoryMiB: number;
    cpus: number;
    disk: string;
    consoleLog: string;
    /** UEFI variable store of this VM (copied from OVMF's template); required for uefi. */
    nvram?: string;
    /** Loopback port forwarded to the guest's agent API port (9999). */
    agentPort: number;
}

/** The ironic-python-agent's API port inside the guest (its default `listen_port`). */
export const AGENT_GUEST_PORT = 9999;
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

function esc(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");
}

export function renderDomainXml(d: LabDomainSpec): string {
    if (d.firmware === "uefi" && !d.nvram) throw new Error(`VM ${d.name}: uefi firmware needs an nvram file`);
    const loader =
        d.firmware === "uefi"
            ? `\n    <loader readonly='yes' type='pflash'>${esc(OVMF_CODE)}</loader>\n    <nvram template='${esc(OVMF_VARS)}'>${esc(d.nvram as string)}</nvram>`
            : "";
    const netdev = `user,id=labnet0,hostfwd=tcp:127.0.0.1:${d.agentPort}-:${AGENT_GUEST_PORT}`;
    return `<domain type='${d.accel === "kvm" ? "kvm" : "qemu"}' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${esc(d.name)}</name>
  <uuid>${esc(d.uuid)}</uuid>
  <memory unit='MiB'>${d.memoryMiB}</memory>
  <vcpu>${d.cpus}</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>${loader}
    <boot dev='hd'/>
    <smbios mode='sysinfo'/>
  </os>
  <sysinfo type='smbios'>
    <oemStrings>
      <entry>lab-agent-port=${d.agentPort}</entry>
    </oemStrings>
  </sysinfo>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${esc(d.disk)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <serial type='file'>
      <source path='${esc(d.consoleLog)}' append='on'/>
      <target port='0'/>
    </serial>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='${esc(netdev)}'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=labnet0,mac=${esc(d.mac)},bus=pcie.0,addr=0x10'/>
  </qemu:commandline>
</domain>
`;
}
