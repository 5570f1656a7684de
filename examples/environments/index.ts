// One program for every environment. Each stack (dev, prod, ...) carries its own Ironic endpoint,
// credentials, host list and image in its stack config, so `pulumi up -s dev` can never touch a
// prod server: the prod hosts are not even in dev's config, and dev talks to dev's Ironic.
//
//   pulumi stack init dev
//   pulumi config set pulumi-metal3:ironicUrl http://ironic-dev.example:6385
//   pulumi config set --secret bmcPassword ...
//   pulumi config set --path 'hosts[0].name' dev-node-0
//   pulumi config set --path 'hosts[0].bmcAddress' redfish://10.0.0.10/redfish/v1/Systems/1
//   pulumi config set --path 'hosts[0].bootMACAddress' 52:54:00:aa:00:01
//   pulumi config set imageUrl http://images.example/dev.qcow2
import * as pulumi from "@pulumi/pulumi";
import { BareMetalHost } from "pulumi-metal3";

interface HostConfig {
    name: string;
    bmcAddress: string;
    bootMACAddress: string;
    online?: boolean;
}

const config = new pulumi.Config();
const hostList = config.requireObject<HostConfig[]>("hosts");
const imageUrl = config.require("imageUrl");
const bmcPassword = config.requireSecret("bmcPassword");
const namespace = pulumi.getStack();

const hosts = hostList.map(
    (h) =>
        new BareMetalHost(h.name, {
            namespace,
            bmc: { address: h.bmcAddress, username: config.get("bmcUsername") ?? "admin", password: bmcPassword },
            bootMACAddress: h.bootMACAddress,
            online: h.online ?? true,
            image: { url: imageUrl, checksum: config.get("imageChecksum") ?? `${imageUrl}.sha256sum`, checksumType: "sha256", format: "qcow2" },
            labels: { environment: namespace },
        }),
);

export const nodes = hosts.map((h) => h.nodeUuid);
export const states = hosts.map((h) => h.provisioningState);
