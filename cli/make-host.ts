// `pulumi-metal3 make-host`: Metal³'s `make-bm-worker` for this provider. Prints a ready-to-paste
// TypeScript `new BareMetalHost(...)` declaration, or with --yaml the Secret + BareMetalHost
// manifests exactly as the BareMetalHost resource emits them (provider/render).
//
// The arguments go through the BareMetalHost input schema (the one source of truth for what a
// host may be), and the manifests through the CRD validator, so what is printed is accepted.
// The password never appears in the TypeScript output: it becomes `config.requireSecret(...)`,
// and the comment gives the `pulumi config set --secret` line, which prompts for the value.
import * as yaml from "js-yaml";
import { bareMetalHostInputsSchema, checkFailures } from "../sdk/schemas/baremetalhost";
import {
    CrdSchemas,
    hostObjectList,
    renderBareMetalHost,
    secretProblems,
    type BootMode,
    type ChecksumType,
    type HostRenderInput,
    type ImageFormat,
    type SecretObject,
} from "../provider/render";

const USAGE = `usage: pulumi-metal3 make-host --address URL --user USER --password PASSWORD --boot-mac MAC
         [--namespace NS] [--boot-mode UEFI|UEFISecureBoot|legacy] [--offline]
         [--image-url URL [--image-checksum SUM] [--image-checksum-type md5|sha256|sha512|auto]
          [--image-format raw|qcow2|vdi|vmdk|live-iso]] [--disable-certificate-verification]
         [--yaml] NAME
       pulumi-metal3 make-host --lab-bmc N [--bmc-state-dir DIR] [options] NAME

--lab-bmc N takes address (with ?ciphersuite=3), user and password from BMC bmc-N of the
virtual-BMC lab (\`pulumi-metal3 bmc start\`; state dir as there).

Prints a TypeScript BareMetalHost declaration (the password as a config secret), or with --yaml
the BMC Secret and BareMetalHost manifests (password base64 in the Secret, as make-bm-worker does)
exactly as the BareMetalHost resource emits them: paused for baremetal-operator with
baremetalhost.metal3.io/paused: pulumi-metal3 (remove it to hand the host to BMO).
`;

export interface MakeHostOptions {
    name: string;
    namespace?: string;
    address: string;
    user: string;
    password: string;
    bootMac?: string;
    bootMode?: BootMode;
    online: boolean;
    imageUrl?: string;
    imageChecksum?: string;
    imageChecksumType?: ChecksumType;
    imageFormat?: ImageFormat;
    disableCertificateVerification?: boolean;
    yaml: boolean;
    /** Index of a lab BMC (local/bmc.ts) whose address and credentials to use. */
    labBmc?: string;
    bmcStateDir?: string;
}

/** Address, user and password of lab BMC `bmc-<index>` (cipher suite 3: power changes in seconds). */
function labBmcDetails(index: string, stateDir: string | undefined): { address: string; user: string; password: string } {
    const { bmcStatus } = require("../local/bmc") as typeof import("../local/bmc");
    const found = bmcStatus({ stateDir }).find((b) => b.name === `bmc-${index}`);
    if (!found) throw new UsageError(`--lab-bmc ${index}: no BMC bmc-${index} in the lab (run \`pulumi-metal3 bmc start --ipmi N\` first)`);
    return { address: `${found.address}?ciphersuite=3`, user: found.username, password: found.password };
}

export class UsageError extends Error {}

const VALUE_FLAGS: Record<string, keyof MakeHostOptions> = {
    "--address": "address",
    "--user": "user",
    "--password": "password",
    "--boot-mac": "bootMac",
    "--namespace": "namespace",
    "--boot-mode": "bootMode",
    "--image-url": "imageUrl",
    "--image-checksum": "imageChecksum",
    "--image-checksum-type": "imageChecksumType",
    "--image-format": "imageFormat",
    "--lab-bmc": "labBmc",
    "--bmc-state-dir": "bmcStateDir",
};

export function parseMakeHostArgs(argv: string[]): MakeHostOptions {
    const o: Record<string, unknown> = { online: true, yaml: false };
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const raw = argv[i];
        const eq = raw.startsWith("--") ? raw.indexOf("=") : -1;
        const flag = eq > 0 ? raw.slice(0, eq) : raw;
        if (flag in VALUE_FLAGS) {
            const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
            if (value === undefined) throw new UsageError(`${flag} needs a value`);
            o[VALUE_FLAGS[flag]] = value;
        } else if (flag === "--yaml") o.yaml = true;
        else if (flag === "--offline") o.online = false;
        else if (flag === "--disable-certificate-verification") o.disableCertificateVerification = true;
        else if (flag.startsWith("-") && flag !== "-") throw new UsageError(`unknown option ${flag}`);
        else positional.push(raw);
    }
    if (positional.length !== 1) throw new UsageError(positional.length ? `one NAME expected, got ${positional.join(" ")}` : "NAME is required");
    if (o.labBmc !== undefined) {
        const lab = labBmcDetails(String(o.labBmc), o.bmcStateDir as string | undefined);
        for (const k of ["address", "user", "password"] as const) o[k] = o[k] ?? lab[k];
    }
    for (const req of ["address", "user", "password"] as const) if (!o[req]) throw new UsageError(`--${req} is required`);
    if ((o.imageChecksum || o.imageChecksumType || o.imageFormat) && !o.imageUrl) throw new UsageError("--image-* options need --image-url");
    return { ...(o as Omit<MakeHostOptions, "name">), name: positional[0] } as MakeHostOptions;
}

/** The renderer's input for these options (what `new BareMetalHost(...)` would emit). */
export function hostInputFromOptions(o: MakeHostOptions): HostRenderInput {
    let image: HostRenderInput["image"];
    if (o.imageUrl) {
        image = { url: o.imageUrl };
        if (o.imageChecksum) image.checksum = o.imageChecksum;
        if (o.imageChecksumType) image.checksumType = o.imageChecksumType;
        if (o.imageFormat) image.format = o.imageFormat;
    }
    return {
        name: o.name,
        namespace: o.namespace,
        bmc: { address: o.address, username: o.user, password: o.password, disableCertificateVerification: o.disableCertificateVerification },
        bootMACAddress: o.bootMac,
        bootMode: o.bootMode,
        online: o.online,
        image,
    };
}

/** Problems the BareMetalHost resource's `check` would report, as `property: reason` lines. */
export function inputProblems(input: HostRenderInput): string[] {
    const args = JSON.parse(JSON.stringify(input)); // drops undefined
    const parsed = bareMetalHostInputsSchema.safeParse(args);
    return parsed.success ? [] : checkFailures(parsed.error).map((f) => `${f.property}: ${f.reason}`);
}

export function configKeyFor(name: string): string {
    return `${name}-bmc-password`;
}

function variableName(name: string): string {
    const camel = name.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""));
    const safe = camel.replace(/^[^A-Za-z_$]/, (c) => `host${c.toUpperCase()}`);
    return safe || "host";
}

/** A TypeScript `new BareMetalHost(...)` declaration; the password is a config secret reference. */
export function renderTypeScript(o: MakeHostOptions): string {
    const q = (s: string) => JSON.stringify(s);
    const key = configKeyFor(o.name);
    const lines: string[] = [];
    lines.push(`import * as pulumi from "@pulumi/pulumi";`);
    lines.push(`import { BareMetalHost } from "pulumi-metal3";`);
    lines.push(``);
    lines.push(`const config = new pulumi.Config();`);
    lines.push(``);
    lines.push(`// The BMC password is a stack secret; set it once (pulumi prompts for the value):`);
    lines.push(`//   pulumi config set --secret ${key}`);
    lines.push(`export const ${variableName(o.name)} = new BareMetalHost(${q(o.name)}, {`);
    if (o.namespace) lines.push(`    namespace: ${q(o.namespace)},`);
    lines.push(`    bmc: {`);
    lines.push(`        address: ${q(o.address)},`);
    lines.push(`        username: ${q(o.user)},`);
    lines.push(`        password: config.requireSecret(${q(key)}),`);
    if (o.disableCertificateVerification) lines.push(`        disableCertificateVerification: true,`);
    lines.push(`    },`);
    if (o.bootMac) lines.push(`    bootMACAddress: ${q(o.bootMac)},`);
    if (o.bootMode) lines.push(`    bootMode: ${q(o.bootMode)},`);
    lines.push(`    online: ${o.online},`);
    if (o.imageUrl) {
        lines.push(`    image: {`);
        lines.push(`        url: ${q(o.imageUrl)},`);
        if (o.imageChecksum) lines.push(`        checksum: ${q(o.imageChecksum)},`);
        if (o.imageChecksumType) lines.push(`        checksumType: ${q(o.imageChecksumType)},`);
        if (o.imageFormat) lines.push(`        format: ${q(o.imageFormat)},`);
        lines.push(`    },`);
    }
    lines.push(`});`);
    return lines.join("\n") + "\n";
}

/** The Secret + BareMetalHost manifests, multi-document YAML, as the resource emits them. */
export function renderYaml(o: MakeHostOptions, crds: CrdSchemas = CrdSchemas.load()): string {
    const objects = hostObjectList(renderBareMetalHost(hostInputFromOptions(o)));
    const problems = objects.flatMap((obj) => (obj.kind === "Secret" ? secretProblems(obj as SecretObject) : crds.validate(obj)));
    if (problems.length) throw new Error(`make-host: the rendered objects would be refused:\n  ${problems.join("\n  ")}`);
    return objects.map((obj) => "---\n" + yaml.dump(obj, { lineWidth: -1, noRefs: true })).join("");
}

export async function makeHostCommand(argv: string[]): Promise<number> {
    if (argv.includes("-h") || argv.includes("--help")) {
        process.stdout.write(USAGE);
        return 0;
    }
    let options: MakeHostOptions;
    try {
        options = parseMakeHostArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`make-host: ${e.message}\n\n${USAGE}`);
        return 2;
    }
    const problems = inputProblems(hostInputFromOptions(options));
    if (problems.length) {
        process.stderr.write(`make-host: host "${options.name}" is not valid:\n  ${problems.join("\n  ")}\n`);
        return 1;
    }
    try {
        process.stdout.write(options.yaml ? renderYaml(options) : renderTypeScript(options));
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 1;
    }
    return 0;
}
