// The seed's local environment through `pulumi up`: one BareMetalHost per VM of the lab
// (`pulumi-metal3 lab start --vms N`: QEMU VMs, a Redfish BMC with virtual media), enrolled,
// inspected by the real agent (ironic-python-agent in the VM) and cleaned (metadata erase), and one
// Machine per host that claims it and deploys the lab's OS qcow2 (sha256-checked) by virtual media,
// with metaData (the hostname) and userData (a script printing one line on the VM's console).
// The same program test/lab/engine-vmedia.test.ts drives, for N hosts. `npm run demo -- --vms N`
// (scripts/demo-vms.sh) sets all of this up and runs it:
//
//   pulumi config set pulumi-metal3:ironicUrl http://127.0.0.1:PORT      # `pulumi-metal3 lab ironic`
//   pulumi config set vms '[{"name":"vm-0","bmcAddress":"redfish-virtualmedia+http://127.0.0.1:8000/redfish/v1/Systems/UUID","bootMac":"52:54:00:.."}]'
//   cat ~/.cache/pulumi-metal3/lab/state/redfish.password | pulumi config set --secret bmcPassword
//   pulumi config set deployKernel file:///…/vmlinuz; pulumi config set deployRamdisk file:///…/initramfs
//   pulumi config set imageUrl http://127.0.0.1:PORT/lab-images/os.qcow2; pulumi config set imageChecksum SHA256
//   pulumi-metal3 owner-key --set; pulumi up
import * as pulumi from "@pulumi/pulumi";
import { BareMetalHost, Machine } from "pulumi-metal3";

interface Vm {
    name: string;
    bmcAddress: string;
    bootMac: string;
}

const cfg = new pulumi.Config();
const namespace = cfg.get("namespace") ?? "metal3";
const vms = cfg.requireObject<Vm[]>("vms");
const image = { url: cfg.require("imageUrl"), checksum: cfg.require("imageChecksum"), checksumType: "sha256" as const, diskFormat: "qcow2" as const };

export const machines = vms.map((vm) => {
    const host = new BareMetalHost(vm.name, {
        namespace,
        bmc: { address: vm.bmcAddress, username: cfg.get("bmcUsername") ?? "admin", password: cfg.requireSecret("bmcPassword") },
        bootMACAddress: vm.bootMac,
        // The lab's VMs boot SeaBIOS; the agent ISO Ironic builds and the OS image are BIOS-only.
        bootMode: "legacy",
        online: true,
        inspectionMode: "agent",
        automatedCleaningMode: "metadata",
        deployKernel: cfg.require("deployKernel"),
        deployRamdisk: cfg.require("deployRamdisk"),
        labels: { lab: "vms" },
        // Every agent boot takes minutes under TCG (docs/LAB.md).
        timeouts: { create: "90m", update: "90m", delete: "60m", inspect: "30m", clean: "30m", deploy: "40m", deprovision: "40m", power: "5m" },
    });
    const hostname = `${vm.name}-os`;
    const machine = new Machine(
        `${vm.name}-machine`,
        {
            namespace,
            host: vm.name,
            image,
            metaData: { hostname },
            // What the OS image's first boot runs (local/lab/build-os-image.sh): one line on the serial console.
            userData: pulumi.secret(`#!/bin/sh\necho "pulumi-metal3 demo: user-data ran on ${hostname}"\n`),
            timeouts: { claim: "10m", create: "60m", delete: "60m" },
        },
        { dependsOn: [host] },
    );
    return {
        vm: vm.name,
        hostname,
        host: host.provisioningState,
        nodeUuid: host.nodeUuid,
        cpus: host.hardware.apply((h) => h?.cpu?.count),
        ramMebibytes: host.hardware.apply((h) => h?.ramMebibytes),
        machine: machine.provisioningState,
    };
});
