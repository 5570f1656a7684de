// The Machine's inputs: the one source of truth for what a Machine accepts. `check` validates
// against it (naming the failing property), the SDK class derives its argument types from it, and
// the schema generator turns it into JSON schema. Every field accepts the preview-time unknown
// sentinel, because any of them may be the output of another resource.
import { z } from "zod";
import { DEFAULT_NAMESPACE } from "../../provider/render/well-known";
import {
    COMMON_SECRET_INPUTS,
    ironicConnectionSchema,
    ironicNameProblem,
    timeoutSchema,
    isUnknown,
    namespaceSchema,
    objectNameSchema,
    orUnknown,
} from "./common";
import { checksumProblem, IMAGE_URL_SCHEMES, urlString } from "./common";
import { DEFAULT_TIMEOUTS_MS } from "../../provider/machine/spec";

const minutesOf = (ms: number) => `${ms / 60_000}m`;

/** Kubernetes label key: optional DNS-subdomain prefix, then a name of at most 63 characters. */
const labelKey = z
    .string()
    .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
        "must be a Kubernetes label key (optional prefix/, then name of at most 63 characters)",
    );
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "must be a Kubernetes label value (at most 63 characters)");

export const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

export const selectorRequirementSchema = z
    .object({
        key: orUnknown(labelKey).describe("Label key the requirement applies to"),
        operator: orUnknown(z.enum(SELECTOR_OPERATORS)).describe("In, NotIn, Exists or DoesNotExist (Kubernetes semantics)"),
        values: orUnknown(z.array(orUnknown(labelValue)))
            .describe("Values for In/NotIn (non-empty); must be empty or absent for Exists/DoesNotExist")
            .optional(),
    })
    .strict()
    .superRefine((req, ctx) => {
        if (typeof req.operator !== "string" || !(SELECTOR_OPERATORS as readonly string[]).includes(req.operator)) return;
        const values = Array.isArray(req.values) ? req.values : undefined;
        const needsValues = req.operator === "In" || req.operator === "NotIn";
        if (needsValues && req.values !== undefined && values === undefined) return; // unknown at preview
        if (needsValues && (!values || values.length === 0))
            ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["values"], message: `operator ${req.operator} needs at least one value` });
        if (!needsValues && values && values.length > 0)
            ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["values"], message: `operator ${req.operator} takes no values` });
    });

export const hostSelectorSchema = z
    .object({
        matchLabels: orUnknown(z.record(labelKey, orUnknown(labelValue)))
            .describe("Host labels that must all be present with exactly these values")
            .optional(),
        matchExpressions: orUnknown(z.array(orUnknown(selectorRequirementSchema)))
            .describe("Label requirements that must all hold (Kubernetes matchExpressions semantics)")
            .optional(),
    })
    .strict();

const IMAGE_FORMATS = ["raw", "qcow2", "vdi", "vmdk", "live-iso"] as const;

export const machineImageSchema = z
    .object({
        url: orUnknown(urlString("image", IMAGE_URL_SCHEMES, 512)).describe("Image URL (http(s)://, file:// or oci://)"),
        checksum: orUnknown(z.string().min(1).max(512))
            .describe("Image checksum, or URL of a checksum file; required unless diskFormat is live-iso or the URL is oci://")
            .optional(),
        checksumType: orUnknown(z.enum(["md5", "sha256", "sha512"]))
            .describe("Checksum algorithm")
            .optional(),
        diskFormat: orUnknown(z.enum(IMAGE_FORMATS)).describe("Disk format of the image (Metal3Machine v1beta2 name)").optional(),
        format: orUnknown(z.enum(IMAGE_FORMATS)).describe("Same as diskFormat (BareMetalHost and Metal3Machine v1beta1 name)").optional(),
    })
    .strict()
    .refine((i) => i.format === undefined || i.diskFormat === undefined || i.format === i.diskFormat, {
        message: "format and diskFormat are the same field; set one",
        path: ["format"],
    });

export const customDeploySchema = z
    .object({
        method: orUnknown(z.string().min(1).max(512)).describe("Name of the custom deploy step Ironic runs instead of writing an image"),
    })
    .strict();

/** Durations as Pulumi writes them in customTimeouts: "90s", "20m", "1h30m" (provider/duration.ts). */
export const durationSchema = timeoutSchema("seconds").describe('A duration like "90s", "20m" or "1h30m", as in customTimeouts');

export const machineTimeoutsSchema = z
    .object({
        claim: orUnknown(durationSchema)
            .describe(`How long to wait for Ironic to process an allocation (default ${minutesOf(DEFAULT_TIMEOUTS_MS.claim)}), within the create deadline`)
            .optional(),
        create: orUnknown(durationSchema)
            .describe(
                `Deadline for the whole create: claim + deploy + power-on together (default ${minutesOf(DEFAULT_TIMEOUTS_MS.create)}); an update that finishes a deploy gets as long`,
            )
            .optional(),
        delete: orUnknown(durationSchema)
            .describe(`How long undeploy plus cleaning may take (default ${minutesOf(DEFAULT_TIMEOUTS_MS.delete)})`)
            .optional(),
    })
    .strict();

/** The argument fields, before the cross-field rules (its keys are the Machine's input names). */
export const machineArgsObject = z
    .object({
        name: orUnknown(objectNameSchema)
            .describe("Machine name (Metal3Machine name, allocation name `<namespace>~<name>`); defaults to the Pulumi resource name")
            .optional(),
        namespace: orUnknown(namespaceSchema).describe('Namespace of the Machine and of the hosts it may claim (default "default")').optional(),
        hostSelector: orUnknown(hostSelectorSchema)
            .describe("Which BareMetalHosts may be claimed, by their labels; an empty selector matches every host")
            .optional(),
        host: orUnknown(objectNameSchema).describe("Claim exactly this BareMetalHost (in the Machine's namespace) instead of selecting by labels").optional(),
        failureDomain: orUnknown(z.string().min(1).max(256))
            .describe("Prefer hosts labelled infrastructure.cluster.x-k8s.io/failure-domain=<this>; others are used when none is free")
            .optional(),
        image: orUnknown(machineImageSchema).describe("Image written to the claimed host's disk").optional(),
        customDeploy: orUnknown(customDeploySchema).describe("A custom deploy step instead of an image").optional(),
        userData: orUnknown(z.string()).describe("User data for the config drive, e.g. cloud-init (secret)").optional(),
        networkData: orUnknown(z.union([z.string(), z.record(z.unknown())]))
            .describe("Network data (OpenStack network_data.json, as an object or JSON/YAML text) for the config drive (secret)")
            .optional(),
        metaData: orUnknown(z.union([z.string(), z.record(z.unknown())]))
            .describe("Meta data merged over the defaults in the config drive's meta_data.json (object or JSON/YAML text) (secret)")
            .optional(),
        automatedCleaningMode: orUnknown(z.enum(["metadata", "disabled"]))
            .describe("metadata: clean the disk metadata when the Machine is deleted; disabled: no cleaning (default metadata)")
            .optional(),
        clusterName: orUnknown(z.string().min(1).max(253)).describe("Cluster API cluster this Machine belongs to (recorded on the claim)").optional(),
        description: orUnknown(z.string().max(1024)).describe("Free text recorded on the claimed host; changing it updates in place").optional(),
        labels: orUnknown(z.record(labelKey, orUnknown(labelValue)))
            .describe("Machine labels recorded on the claimed host; changing them updates in place")
            .optional(),
        claimOwner: orUnknown(z.string().min(1).max(255))
            .describe(
                "Who owns the claim, recorded on the allocation: set by the provider to `<project>/<stack>` (not an input: the plugin refuses another value, the SDK class overrides it)",
            )
            .optional(),
        poolOwnerKeys: orUnknown(
            z.array(orUnknown(z.string().min(32, "an owner key is at least 32 characters (pulumi-metal3 owner-key makes one)").max(1024))).max(64),
        )
            .describe(
                "Owner keys (the pulumi-metal3:ownerKey of other stacks, e.g. a StackReference's secret output) whose hosts this Machine may claim, besides this stack's own ownerKey. A host is claimed only when its keyed owner record verifies under one of them (secret)",
            )
            .optional(),
        ironic: orUnknown(ironicConnectionSchema)
            .describe(
                "How to reach Ironic. With a url (or cloud) it is the whole connection, credentials included; unset, the stack config is, else the environment",
            )
            .optional(),
        timeouts: orUnknown(machineTimeoutsSchema)
            .describe("Timeouts of the Ironic operations (Pulumi customTimeouts do not reach dynamic providers)")
            .optional(),
    })
    .strict();

export const machineArgsSchema = machineArgsObject.superRefine((args, ctx) => {
    if (typeof args.name === "string" && !isUnknown(args.name) && (args.namespace === undefined || !isUnknown(args.namespace))) {
        const tooLong = ironicNameProblem(args.namespace ?? DEFAULT_NAMESPACE, args.name);
        if (tooLong) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["name"], message: tooLong });
    }
    if (args.hostSelector !== undefined && args.host !== undefined)
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["host"], message: "set either host or hostSelector, not both" });
    if (args.image === undefined && args.customDeploy === undefined)
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["image"], message: "image or customDeploy is required" });
    if (args.image !== undefined && args.customDeploy !== undefined)
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["customDeploy"], message: "set either image or customDeploy, not both" });
    const image = args.image;
    if (image && typeof image === "object") {
        const url = typeof image.url === "string" ? image.url : undefined;
        const liveIso = image.diskFormat === "live-iso";
        const oci = url?.startsWith("oci://") ?? false;
        if (url !== undefined && image.checksum === undefined && !liveIso && !oci)
            ctx.addIssue({
                code: z.ZodIssueCode.custom,
                path: ["image", "checksum"],
                message: "checksum is required unless diskFormat is live-iso or the URL is oci://",
            });
        const checksumType = typeof image.checksumType === "string" && !isUnknown(image.checksumType) ? image.checksumType : undefined;
        const problem =
            typeof image.checksum === "string" && !isUnknown(image.checksum) && !oci && (image.checksumType === undefined || checksumType)
                ? checksumProblem(image.checksum, checksumType)
                : undefined;
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["image", "checksum"], message: problem });
    }
});

/** The input names; everything else in a Machine's state is an output (or `__provider`). */
export const MACHINE_INPUT_KEYS = Object.keys(machineArgsObject.shape) as (keyof MachineArgs)[];

export type MachineArgsInput = z.input<typeof machineArgsSchema>;
export type MachineArgs = z.output<typeof machineArgsSchema>;
export type HostSelector = z.output<typeof hostSelectorSchema>;
export type SelectorRequirement = z.output<typeof selectorRequirementSchema>;
export type MachineImage = z.output<typeof machineImageSchema>;
export type MachineTimeouts = z.output<typeof machineTimeoutsSchema>;

/** Which inputs replace a Machine: decided in provider/machine/plan.ts. */
export { MACHINE_REPLACE_PROPERTIES } from "../../provider/machine/plan";

/** Input paths whose values are secrets: the SDK wraps them in pulumi.secret, the plugin's check marks them. */
export const MACHINE_SECRET_INPUTS = [...COMMON_SECRET_INPUTS, "poolOwnerKeys"] as const;

/** What a Machine reports once created (besides its inputs). */
export interface MachineOutputs {
    /** Resolved machine name and namespace. */
    machineName: string;
    machineNamespace: string;
    /** Name of the BareMetalHost that was claimed. */
    hostName: string;
    nodeUuid: string;
    /** CAPM3 form: metal3://<namespace>/<host>/<machine>. */
    providerID: string;
    addresses: { type: "InternalIP" | "ExternalIP" | "Hostname" | "InternalDNS"; address: string }[];
    /** Metal³ provisioning state of the claimed host (provisioned, provisioning, deprovisioning, ...). */
    provisioningState: string;
    ready: boolean;
    allocationUuid: string;
    allocationName: string;
}
