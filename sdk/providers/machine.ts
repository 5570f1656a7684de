// The Machine's dynamic-provider handlers: Pulumi glue only. They validate inputs (the zod
// schema), decide replace vs update, and call the lifecycle in provider/machine (the decision in
// lifecycle.ts, the Ironic steps in converge.ts), which knows nothing of Pulumi. Loaded at call time by `machineProvider` (sdk/providers/machine-dynamic.ts), inside the
// dynamic-provider host process.
import type * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import { CANDIDATE_NODE_FIELDS, evaluatePool } from "../../provider/claim/candidates";
import { stackOwnerKey } from "../owner";
import { createMachine, deleteMachine, MachineDeployError, readMachine, updateMachine } from "../../provider/machine/converge";
import type { MachineStatus } from "../../provider/machine/lifecycle";
import { canonicalJson, sameJson } from "../../provider/canonical-json";
import { migrateTimeouts, sameTimeouts } from "../../provider/duration";
import { DEFAULT_NAMESPACE } from "../../provider/render/well-known";
import { newDigestKey } from "../../provider/host/desired";
import { DEFAULT_TIMEOUTS_MS, durationMs, type MachineSpec } from "../../provider/machine/spec";
import { connectionCheck, mergeConnection } from "../connection";
import { warnOnce } from "./engine-warning";
import { engineError } from "./errors";
import { Logger, stderrLogger } from "../../provider/log";
import type { ZodIssue } from "zod";
import { containsUnknown, isUnknown, UNKNOWN, type IronicConnectionInput } from "../schemas/common";
import { machineArgsSchema, MACHINE_INPUT_KEYS } from "../schemas/machine";
import { mustReleaseFirst, replacingChanges } from "../../provider/machine/plan";

/** What `configure` stored: the connection from stack config. */
export interface MachineProviderContext {
    connection?: IronicConnectionInput;
}

type Props = Record<string, any>;

function inputsOf(props: Props): Props {
    const out: Props = {};
    for (const k of MACHINE_INPUT_KEYS) if (props[k] !== undefined) out[k] = props[k];
    // State of earlier releases holds timeouts as seconds: read (and validated) in today's form.
    if (out.timeouts !== undefined) out.timeouts = migrateTimeouts(out.timeouts, "seconds");
    return out;
}

// ---- check / diff (also run at preview, with unknowns) ---------------------------------------

export async function check(_olds: Props, news: Props, stack?: IronicConnectionInput): Promise<pulumi.dynamic.CheckResult> {
    const { __provider, ...inputs } = news;
    void __provider; // the host re-adds it
    const parsed = machineArgsSchema.safeParse(inputs);
    const failures = parsed.success
        ? []
        : parsed.error.issues.flatMap(realIssues).map((issue) => ({
              property: issue.path.length ? issue.path.join(".") : "(machine)",
              reason: issue.message,
          }));
    // The connection as it will be used (resource input, else stack config, else environment), judged before anything is sent.
    if (!failures.some((f) => f.property.startsWith("ironic"))) {
        const own = inputs.ironic && !isUnknown(inputs.ironic) ? (inputs.ironic as IronicConnectionInput) : undefined;
        const connection = connectionCheck(own, stack);
        failures.push(...connection.failures);
        for (const w of connection.warnings) await warnOnce(w);
    }
    return failures.length ? { inputs, failures } : { inputs };
}

/**
 * Every value is `UNKNOWN | real schema` (orUnknown), so zod reports a bad value as "Invalid
 * input" of the union. Report what the real schema said instead, at its own path.
 */
function realIssues(issue: ZodIssue): ZodIssue[] {
    if (issue.code !== "invalid_union") return [issue];
    const real = issue.unionErrors.filter((e) => !e.issues.every((i) => i.code === "invalid_literal" && i.expected === UNKNOWN));
    if (real.length !== 1) return [issue];
    return real[0].issues.flatMap(realIssues);
}

/** Which inputs changed, and which of those rebuild the Machine. Pure: Ironic is only asked about spare hosts. */
export function diffInputs(olds: Props, news: Props): { changed: string[]; replaces: string[] } {
    const changed: string[] = [];
    for (const key of MACHINE_INPUT_KEYS) {
        // An unknown value at preview may turn out equal; a replacing property must still say
        // "replace" so the plan does not underclaim what `up` will do.
        // Timeouts by what they mean: an earlier release's `create: 90` (seconds) is today's "90s".
        const same = key === "timeouts" ? sameTimeouts(olds[key], news[key], "seconds") : sameJson(olds[key], news[key]);
        if (containsUnknown(news[key]) || !same) changed.push(key);
    }
    const replaces = replacingChanges(changed);
    return { changed, replaces };
}

export async function diff(ctx: MachineProviderContext, _id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
    const { changed, replaces } = diffInputs(olds, news);
    // A Machine that failed to initialize (or whose host was deprovisioned out of band, seen by
    // refresh) converges through update, on the host it already holds.
    const notReady = olds.ready === false && replaces.length === 0;
    if (changed.length === 0 && !notReady) return { changes: false };
    if (replaces.length === 0) return { changes: true };
    return { changes: true, replaces, deleteBeforeReplace: await mustDeleteFirst(ctx, olds, news) };
}

/** Whether the old Machine must release its host first (provider/machine/plan.ts decides; this looks at the pool). */
async function mustDeleteFirst(ctx: MachineProviderContext, olds: Props, news: Props): Promise<boolean> {
    if (mustReleaseFirst({ newHost: news.host, oldHostName: olds.hostName })) return true;
    if (containsUnknown(news)) return false;
    let client: IronicClient | undefined;
    try {
        client = await clientFor(ctx, news);
        const evaluation = evaluatePool(await client.listNodes({ fields: CANDIDATE_NODE_FIELDS }), {
            namespace: news.namespace ?? DEFAULT_NAMESPACE,
            host: news.host,
            selector: news.host === undefined ? news.hostSelector : undefined,
            failureDomain: news.failureDomain,
            poolKeys: [stackOwnerKey(), ...((news.poolOwnerKeys as string[] | undefined) ?? [])].filter((k): k is string => typeof k === "string" && k !== ""),
        });
        return mustReleaseFirst({ eligibleSpares: evaluation.eligible.length });
    } catch {
        return mustReleaseFirst({}); // Ironic unreachable at preview
    }
}

// ---- create / read / update / delete ------------------------------------------------------------

const clients = new Map<string, Promise<IronicClient>>();

/**
 * One client per distinct connection for the life of the provider process: handlers of many
 * Machines run concurrently in one process, and share connections and the microversion handshake.
 */
export function clientFor(ctx: MachineProviderContext, props: Props): Promise<IronicClient> {
    const options = mergeConnection(props.ironic, ctx.connection);
    const key = canonicalJson(options);
    let client = clients.get(key);
    if (!client) {
        client = IronicClient.connect(options);
        client.catch(() => clients.delete(key));
        clients.set(key, client);
    }
    return client;
}

/** Closes the cached clients (tests; the provider host process just exits). */
export async function closeClients(): Promise<void> {
    const all = [...clients.values()];
    clients.clear();
    for (const c of all) await (await c.catch(() => undefined))?.close();
}

/**
 * Validated inputs → the lifecycle's spec (defaults applied). `digestKey`: the key of the spec
 * hash, from the state (a new Machine, or one from before keyed spec hashes, gets a new one).
 */
export function machineSpec(props: Props, digestKey: string = newDigestKey()): MachineSpec {
    const parsed = machineArgsSchema.safeParse(inputsOf(props));
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`invalid Machine input ${issue.path.join(".")}: ${issue.message}`);
    }
    const a = parsed.data as Props;
    if (containsUnknown(a)) throw new Error("Machine inputs still contain unknown values");
    if (!a.name) throw new Error("Machine input name is required (the SDK class sets it to the resource name)");
    const t = a.timeouts ?? {};
    return {
        name: a.name,
        namespace: a.namespace ?? DEFAULT_NAMESPACE,
        host: a.host,
        hostSelector: a.hostSelector,
        failureDomain: a.failureDomain,
        image: a.image && {
            url: a.image.url,
            checksum: a.image.checksum,
            checksumType: a.image.checksumType,
            format: a.image.diskFormat ?? a.image.format,
        },
        customDeploy: a.customDeploy,
        userData: a.userData,
        networkData: a.networkData,
        metaData: a.metaData,
        automatedCleaningMode: a.automatedCleaningMode ?? "metadata",
        clusterName: a.clusterName,
        claimOwner: a.claimOwner,
        description: a.description,
        labels: a.labels,
        timeouts: {
            claim: durationMs(t.claim, DEFAULT_TIMEOUTS_MS.claim),
            create: durationMs(t.create, DEFAULT_TIMEOUTS_MS.create),
            delete: durationMs(t.delete, DEFAULT_TIMEOUTS_MS.delete),
        },
        digestKey,
        ownerKey: stackOwnerKey(),
        poolKeys: [stackOwnerKey(), ...((a.poolOwnerKeys as string[] | undefined) ?? [])].filter((k): k is string => typeof k === "string" && k !== ""),
    };
}

/** The spec hash's key as the state holds it (a secret output). */
function digestKeyOf(props: Props): string | undefined {
    return typeof props.specDigestKey === "string" && props.specDigestKey ? props.specDigestKey : undefined;
}

/** Progress through the logger (never secrets), in the shape of the BareMetalHost lines ("[bmh ns~host] ..."), so `pulumi up` reads as one log. */
const progressTo = (log: Logger) => (message: string) => log.info(`[machine] ${message}`);

function outputs(inputs: Props, status: MachineStatus, spec: Pick<MachineSpec, "digestKey">): Props {
    return { ...inputs, ...status, specDigestKey: spec.digestKey };
}

/** `deadlineMs` (create/update/delete): the engine's `customTimeouts`, over the `timeouts` input. */
export async function create(
    ctx: MachineProviderContext,
    inputs: Props,
    deadlineMs?: number,
    log: Logger = stderrLogger,
): Promise<pulumi.dynamic.CreateResult> {
    const spec = machineSpec(inputs);
    if (deadlineMs) spec.timeouts.create = deadlineMs;
    const client = await clientFor(ctx, inputs);
    try {
        const status = await createMachine(client, spec, progressTo(log));
        return { id: status.allocationUuid, outs: outputs(inputs, status, spec) };
    } catch (err) {
        // Partially created (the claim holds a host, whatever ended the deploy): the engine keeps
        // the id and these properties (the inputs as given, with __provider, so diff sees no
        // change and delete works) and runs update on the next `up` to finish the deploy.
        if (err instanceof MachineDeployError) throw engineError(err, { id: err.status.allocationUuid, properties: outputs(inputs, err.status, spec) });
        throw engineError(err);
    }
}

export async function read(ctx: MachineProviderContext, id: string, props: Props): Promise<pulumi.dynamic.ReadResult> {
    const client = await clientFor(ctx, props);
    const spec = machineSpec(props, digestKeyOf(props));
    const status = await readMachine(client, id, spec);
    // The claim is gone (host released or claimed by someone else out of band): an empty id
    // makes refresh drop the Machine, and the next `up` creates it again.
    if (!status) return { id: "", props: {} };
    return { id, props: outputs(inputsOf(props), status, spec) };
}

export async function update(
    ctx: MachineProviderContext,
    id: string,
    olds: Props,
    news: Props,
    deadlineMs?: number,
    log: Logger = stderrLogger,
): Promise<pulumi.dynamic.UpdateResult> {
    const spec = machineSpec(news, digestKeyOf(olds));
    if (deadlineMs) spec.timeouts.create = deadlineMs;
    const client = await clientFor(ctx, news);
    try {
        return { outs: outputs(news, await updateMachine(client, id, spec, progressTo(log)), spec) };
    } catch (err) {
        if (err instanceof MachineDeployError) throw engineError(err, { id, properties: outputs(news, err.status, spec) });
        throw engineError(err);
    }
}

export async function remove(ctx: MachineProviderContext, id: string, props: Props, deadlineMs?: number, log: Logger = stderrLogger): Promise<void> {
    try {
        await removeMachine(ctx, id, props, deadlineMs, log);
    } catch (err) {
        throw engineError(err);
    }
}

async function removeMachine(ctx: MachineProviderContext, id: string, props: Props, deadlineMs: number | undefined, log: Logger): Promise<void> {
    const client = await clientFor(ctx, props);
    const a = props as Props;
    const t = a.timeouts ?? {};
    await deleteMachine(
        client,
        id,
        {
            name: a.machineName ?? a.name ?? id,
            namespace: a.machineNamespace ?? a.namespace ?? DEFAULT_NAMESPACE,
            automatedCleaningMode: a.automatedCleaningMode ?? "metadata",
            timeouts: {
                claim: DEFAULT_TIMEOUTS_MS.claim,
                create: DEFAULT_TIMEOUTS_MS.create,
                delete: deadlineMs || durationMs(t.delete, DEFAULT_TIMEOUTS_MS.delete),
            },
        },
        progressTo(log),
        a.nodeUuid,
    );
}
