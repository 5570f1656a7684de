// Lab: one BareMetalHost per BMC of the virtual-BMC lab (`pulumi-metal3 bmc start --ipmi N`, or
// `--redfish N [--tls]` for sushy-tools' Redfish emulator), against a local Ironic. The first host
// boots a live ISO (ramdisk deploy: the one deploy that reaches `active` without an agent image;
// on `redfish-virtualmedia://` the ISO goes into the BMC's virtual CD), the others are enrolled
// and left `available`, powered off. `npm run demo -- --bmc ipmi|redfish` sets all of this up and runs it.
//
//   pulumi config set pulumi-metal3:ironicUrl http://127.0.0.1:6385
//   pulumi config set bmcAddresses '["ipmi://127.0.0.1:6230?ciphersuite=3","ipmi://127.0.0.1:6231?ciphersuite=3"]'
//   printf '%s' '["pw-0","pw-1"]' | pulumi config set --secret bmcPasswords
//   pulumi config set liveIsoUrl http://127.0.0.1:6180/lab/live.iso   # optional: deploy host 0
//   pulumi config set bootMacs '["52:54:02:..","52:54:02:.."]'       # optional: the BMCs' own NIC MACs (Redfish lab prints them)
//   pulumi config set disableCertificateVerification true            # optional: a BMC with a self-signed certificate
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { BareMetalHost } from "pulumi-metal3";

const config = new pulumi.Config();
const stack = pulumi.getStack();
const namespace = config.get("namespace") ?? "metal3";
const addresses = config.requireObject<string[]>("bmcAddresses");
// One secret list, in the BMCs' order: each host gets its own element, still a secret.
const passwords = config.requireSecretObject<string[]>("bmcPasswords");
const username = config.get("bmcUsername") ?? "admin";
const liveIsoUrl = config.get("liveIsoUrl");
// First three octets of the boot MACs, so several copies of this stack can share one Ironic.
const macPrefix = config.get("macPrefix") ?? "52:54:01";
const bootMacs = config.getObject<string[]>("bootMacs");
const disableCertificateVerification = config.getBoolean("disableCertificateVerification");

const hosts = addresses.map((address, i) => {
    const deployed = i === 0 && liveIsoUrl !== undefined;
    return new BareMetalHost(`lab-${i}`, {
        namespace,
        bmc: { address, username, password: passwords.apply((p) => p[i]), ...(disableCertificateVerification ? { disableCertificateVerification } : {}) },
        bootMACAddress: bootMacs?.[i] ?? `${macPrefix}:30:00:${(i + 1).toString(16).padStart(2, "0")}`,
        // No agent image here: cleaning and in-band inspection would wait for one forever.
        automatedCleaningMode: "disabled",
        inspectionMode: "disabled",
        online: deployed,
        ...(deployed ? { image: { url: liveIsoUrl!, format: "live-iso" as const } } : {}),
        labels: { role: deployed ? "live" : "spare", stack },
    });
});

export const hostsTable = hosts.map((h) => ({
    name: h.urn.apply((u) => u.split("::").pop()),
    state: h.provisioningState,
    poweredOn: h.poweredOn,
    nodeUuid: h.nodeUuid,
}));
