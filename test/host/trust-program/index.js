// Hosts and Machines as stack config says (test/host/trust-engine.test.ts): a "pool" stack declares
// hosts, a "machines" stack claims them, as two teams sharing one Ironic would. Plain JavaScript so
// the repository's TypeScript build does not compile it.
"use strict";
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost, Machine } = require("pulumi-metal3");

const config = new pulumi.Config();
const namespace = config.require("namespace");
/** [{ name, labels?, online?, image?, adoptNode? }] */
const hostList = JSON.parse(config.get("hosts") ?? "[]");
const machineCount = config.getNumber("machines") ?? 0;
/** The owner key of the stack whose hosts the Machines claim (that stack's pulumi-metal3:ownerKey), when it is another. */
const poolOwnerKey = config.getSecret("poolOwnerKey");

const hosts = hostList.map(
    (h) =>
        new BareMetalHost(h.name, {
            namespace,
            bmc: { address: "fake://trust" },
            online: h.online ?? false,
            labels: h.labels,
            ...(h.image ? { image: { url: h.image, checksum: "0123456789abcdef0123456789abcdef", format: "qcow2" } } : {}),
            ...(h.adoptNode ? { adoptNode: h.adoptNode } : {}),
            timeouts: { create: "5m", update: "5m", delete: "5m" },
        }),
);

const machines = Array.from(
    { length: machineCount },
    (_, i) =>
        new Machine(
            `m${i}`,
            {
                name: `${pulumi.getStack()}-m${i}`,
                namespace,
                hostSelector: { matchLabels: { pool: config.require("pool") } },
                image: { url: "http://images.example/machine.qcow2", checksum: "http://images.example/SHA256SUMS", checksumType: "sha256", format: "qcow2" },
                timeouts: { create: "5m", delete: "5m" },
                ...(poolOwnerKey ? { poolOwnerKeys: [poolOwnerKey] } : {}),
            },
            // Machines before hosts on destroy, when both are in one stack.
            { dependsOn: hosts },
        ),
);

exports.nodes = hosts.map((h) => h.nodeUuid);
exports.machineHosts = machines.map((m) => m.hostName);
