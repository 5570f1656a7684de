// Keyed digests of secrets (BMC credentials, config drive data): what the node and the state
// carry cannot be computed from a secret alone, and nodes and state written by releases before
// keyed digests migrate without a diff, a BMC re-patch or a reprovision.
import { expect } from "chai";
import {
    canonicalJson,
    hostSpecFromInputs,
    keyIdOf,
    legacySecretDigest,
    newDigestKey,
    PlainHostInputs,
    secretDigest,
    sha256,
} from "../../provider/host/desired";
import { EXTRA, nextAction } from "../../provider/host/lifecycle";
import { registrationPatch } from "../../provider/host/registration";
import type { Node } from "../../provider/ironic/types";
import { diff } from "../../sdk/providers/host";

const image = { url: "http://images.example/os.qcow2", checksum: "abc", format: "qcow2" as const };
const password = "s3cret";
const inputs = {
    name: "h1",
    bmc: { address: "ipmi://10.0.0.1", username: "admin", password },
    online: true,
    bootMACAddress: "52:54:00:00:00:01",
    image,
    userData: "#cloud-config\n",
} as unknown as PlainHostInputs;

function activeNode(extra: Record<string, unknown>, spec = hostSpecFromInputs(inputs, { apiVersion: "1.82", digestKey: newDigestKey() })): Node {
    return {
        uuid: "u",
        name: spec.nodeName,
        driver: spec.bmc.driver,
        driver_info: { ...spec.bmc.driverInfo, ipmi_password: "******" },
        provision_state: "active",
        target_provision_state: null,
        power_state: "power on",
        target_power_state: null,
        maintenance: false,
        extra: { ...extra },
        properties: {},
        instance_info: {},
        traits: [],
        ...spec.bmc.interfaces,
    } as unknown as Node;
}

describe("host/digests: keyed, and migrated from the unkeyed form", () => {
    it("the same secret under two keys gives unrelated digests, both marked with their key's id", () => {
        const [a, b] = [newDigestKey(), newDigestKey()];
        const da = secretDigest(a, password)!;
        expect(da).to.not.equal(secretDigest(b, password));
        expect(da).to.not.contain(sha256(canonicalJson(password)));
        expect(keyIdOf(da)).to.be.a("string").with.length(12);
        expect(keyIdOf(legacySecretDigest("salt", password))).to.equal(undefined);
        const spec = hostSpecFromInputs(inputs, { apiVersion: "1.82", digestKey: a });
        expect(keyIdOf(spec.bmcFingerprint)).to.equal(keyIdOf(da));
        expect(keyIdOf(spec.deployment!.fingerprint)).to.equal(keyIdOf(da));
    });

    it("a node fingerprinted by an older release is re-fingerprinted without touching the BMC or the disk", () => {
        const spec = hostSpecFromInputs(inputs, { apiVersion: "1.82", digestKey: newDigestKey() });
        const node = activeNode(
            { [EXTRA.managed]: "true", [EXTRA.bmcFingerprint]: spec.legacyBmcFingerprint, [EXTRA.deployment]: spec.deployment!.legacyFingerprint },
            spec,
        );
        const ops = registrationPatch(spec, node);
        expect(ops.filter((o) => o.path.startsWith("/driver_info"))).to.deep.equal([]);
        expect(ops).to.deep.include({ op: "add", path: `/extra/${EXTRA.bmcFingerprint}`, value: spec.bmcFingerprint });
        expect(ops).to.deep.include({ op: "add", path: `/extra/${EXTRA.deployment}`, value: spec.deployment!.fingerprint });
        // ...and once re-recorded the host is simply where the program wants it.
        const migrated = activeNode({ ...node.extra, [EXTRA.bmcFingerprint]: spec.bmcFingerprint, [EXTRA.deployment]: spec.deployment!.fingerprint }, spec);
        const digestPaths = [EXTRA.bmcFingerprint, EXTRA.deployment].map((k) => `/extra/${k}`);
        expect(registrationPatch(spec, migrated).filter((o) => digestPaths.includes(o.path) || o.path.startsWith("/driver_info"))).to.deep.equal([]);
    });

    it("an old-form fingerprint of other credentials or another deployment still counts as a change", () => {
        const spec = hostSpecFromInputs(inputs, { apiVersion: "1.82", digestKey: newDigestKey() });
        const other = hostSpecFromInputs({ ...inputs, bmc: { ...(inputs.bmc as object), password: "old" }, userData: "#old\n" } as PlainHostInputs, {
            apiVersion: "1.82",
            digestKey: newDigestKey(),
        });
        const node = activeNode(
            { [EXTRA.managed]: "true", [EXTRA.bmcFingerprint]: other.legacyBmcFingerprint, [EXTRA.deployment]: other.deployment!.legacyFingerprint },
            spec,
        );
        const paths = registrationPatch(spec, node).map((o) => o.path);
        expect(paths).to.include("/driver_info/ipmi_password");
        expect(paths).to.not.include(`/extra/${EXTRA.deployment}`);
    });

    it("a deployment recorded under another key is never rebuilt on a guess", () => {
        const spec = hostSpecFromInputs(inputs, { apiVersion: "1.82", digestKey: newDigestKey() });
        const elsewhere = hostSpecFromInputs(inputs, { apiVersion: "1.82", digestKey: newDigestKey() });
        const node = activeNode(
            { [EXTRA.managed]: "true", [EXTRA.bmcFingerprint]: spec.bmcFingerprint, [EXTRA.deployment]: elsewhere.deployment!.fingerprint },
            spec,
        );
        // Registered exactly as the spec says, so only the deployment record is in question.
        for (const op of registrationPatch(spec, node)) {
            const parts = op.path.split("/").slice(1);
            let target = node as unknown as Record<string, any>;
            for (const part of parts.slice(0, -1)) target = target[part] = target[part] ?? {};
            target[parts[parts.length - 1]] = op.value;
        }
        expect(registrationPatch(spec, node)).to.deep.equal([]);
        const port = { uuid: "p", address: "52:54:00:00:00:01", node_uuid: "u", pxe_enabled: true, extra: {}, created_at: "", updated_at: null };
        const action = nextAction(spec, { node, ports: [port] });
        expect(action.kind).to.equal("fail");
        expect((action as { message: string }).message)
            .to.contain("another digest key")
            .and.contain("externallyProvisioned");
    });

    it("state from an older release (salted digests) shows no diff for unchanged secrets, and a change for changed ones", async () => {
        const salt = "0123456789abcdef";
        const olds = {
            name: "h1",
            bmc: { address: "ipmi://10.0.0.1", username: "admin" },
            online: true,
            bootMACAddress: "52:54:00:00:00:01",
            image,
            secretDigests: { salt, bmcPassword: legacySecretDigest(salt, password), userData: legacySecretDigest(salt, "#cloud-config\n") },
            provisioningState: "provisioned",
        };
        expect((await diff("u", olds, { ...inputs, __provider: "x" } as never)).changes).to.equal(false);
        const changed = await diff("u", olds, { ...inputs, bmc: { ...(inputs.bmc as object), password: "new" } } as never);
        expect(changed.changed).to.deep.equal(["bmc.password"]);
    });
});
