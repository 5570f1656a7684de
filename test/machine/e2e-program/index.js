// N Machines from one pool, selected by label. Two stacks of this program pointed at the same
// Ironic and the same pool race for its hosts (test/machine/e2e.test.ts). Plain JavaScript so the
// repository's TypeScript build does not compile it.
"use strict";
const pulumi = require("@pulumi/pulumi");
const { Machine } = require("pulumi-metal3");

const config = new pulumi.Config();
const count = config.requireNumber("count");
const pool = config.require("pool");
const namespace = config.require("namespace");
const imageUrl = config.require("imageUrl");
const stack = pulumi.getStack();

const machines = Array.from(
    { length: count },
    (_, i) =>
        new Machine(`m${i}`, {
            name: `${stack}-m${i}`,
            namespace,
            clusterName: "race",
            hostSelector: { matchLabels: { pool } },
            image: { url: imageUrl, checksum: "http://images.example/SHA256SUMS", checksumType: "sha256", format: "qcow2" },
            userData: pulumi.secret(`#cloud-config\nhostname: ${stack}-m${i}\n`),
            timeouts: { create: config.get("createTimeout") ?? "5m", delete: "5m" },
            // Sets the Pulumi resource option: release the old host before claiming the new one.
            deleteBeforeReplace: config.getBoolean("deleteBeforeReplace"),
        }),
);

exports.hosts = machines.map((m) => m.hostName);
exports.providerIDs = machines.map((m) => m.providerID);
