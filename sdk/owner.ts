// Who declares a resource: `<project>/<stack>` of the running program. Machines record it on
// their claims (allocation extra), BareMetalHosts on their Ironic nodes (node extra), so that a
// node or claim is only ever reused or taken over by the stack that made it. The record is keyed
// (provider/owner-record.ts) under the stack's secret `ownerKey` when the stack config sets one.
import * as pulumi from "@pulumi/pulumi";

export function stackOwner(): string {
    return `${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** Stack config key of the owner key (`metal3:ownerKey` for the plugin, which maps the prefix). */
export const OWNER_KEY_CONFIG = "pulumi-metal3:ownerKey";

/** The shortest owner key accepted: 128 bits as hex (`pulumi-metal3 owner-key` makes 256). */
export const OWNER_KEY_MIN_LENGTH = 32;

// One provider process serves one stack: its configure (dynamic or plugin) sets the key once.
let configuredOwnerKey: string | undefined;

/**
 * Reads the stack's owner key from config (`get` as for connectionFromStackConfig). A key too
 * short to be a secret is refused: it would let anyone who guesses it forge this stack's records.
 */
export function configureOwnerKey(get: (key: string) => string | undefined): void {
    const raw = get(OWNER_KEY_CONFIG);
    if (raw !== undefined && raw !== "" && raw.length < OWNER_KEY_MIN_LENGTH) {
        throw new Error(
            `stack config ${OWNER_KEY_CONFIG} (metal3:ownerKey for the plugin) is ${raw.length} characters; an owner key needs at least ${OWNER_KEY_MIN_LENGTH} ` +
                `(random, secret): run \`pulumi-metal3 owner-key --set\` to set one with \`pulumi config set --secret\``,
        );
    }
    configuredOwnerKey = raw === "" ? undefined : raw;
}

/** The stack's owner key, when its config sets one (undefined: records are keyed per resource). */
export function stackOwnerKey(): string | undefined {
    return configuredOwnerKey;
}

/** Sets the key directly (tests that call the providers without a configure). */
export function setStackOwnerKey(key: string | undefined): void {
    configuredOwnerKey = key;
}
