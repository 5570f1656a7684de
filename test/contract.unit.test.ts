// One resource contract (sdk/schema/resources.ts): every path that marks secrets — the dynamic
// classes, the plugin's native classes, the plugin server's check and outputs, and schema.json —
// marks the same set for the same resource. A new secret input or output is added in one place;
// this fails if any path was left behind or marks one of its own.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { resourceEntry, ResourceType, secretOutputNames } from "../sdk/schema/resources";
import { alwaysSecretOutputs, HOST_TOKEN, MACHINE_TOKEN, Metal3Provider } from "../sdk/plugin/server";
import { unwrapSecrets } from "../sdk/plugin/secrets";

const providerProto = require("@pulumi/pulumi/proto/provider_pb");

const structProto = require("google-protobuf/google/protobuf/struct_pb");

const REPO = path.resolve(__dirname, "..", "..");
const TOKEN: Record<ResourceType, string> = { BareMetalHost: HOST_TOKEN, Machine: MACHINE_TOKEN };
const ironic = { url: "http://127.0.0.1:6385", authType: "http_basic", username: "u", password: "ironic-pw", token: "ironic-token" };
const data = { userData: "#cloud-config\n", networkData: { links: [] }, metaData: { a: "b" } };
/** Inputs as a YAML or Go program sends them: every secret a plain literal. */
const PLAIN: Record<ResourceType, Record<string, unknown>> = {
    BareMetalHost: {
        bmc: { address: "ipmi://10.0.0.7", username: "admin", password: "bmc-pw" },
        online: false,
        bootMACAddress: "52:54:00:00:00:07",
        ironic,
        ...data,
    },
    Machine: { image: { url: "http://x/os.iso", diskFormat: "live-iso" }, ironic, poolOwnerKeys: ["p".repeat(64)], ...data },
};

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** The plugin's check, through its gRPC handler: the inputs it hands back, and which paths it marked secret. */
async function pluginCheck(type: ResourceType): Promise<string[]> {
    const req = new providerProto.CheckRequest();
    req.setUrn(`urn:pulumi:dev::proj::${TOKEN[type]}::r-0`);
    req.setType(TOKEN[type]);
    req.setName("r-0");
    req.setOlds(structProto.Struct.fromJavaScript({}));
    req.setNews(structProto.Struct.fromJavaScript(PLAIN[type]));
    const check = new Metal3Provider().service().check as (call: unknown, cb: (e: unknown, r?: any) => void) => void;
    const resp = await new Promise<any>((resolve, reject) => check({ request: req }, (e, r) => (e ? reject(e) : resolve(r))));
    expect(resp.getFailuresList().map((f: any) => `${f.getProperty()}: ${f.getReason()}`)).to.deep.equal([]);
    return unwrapSecrets(resp.getInputs().toJavaScript()).secrets.map((p) => p.join("."));
}

/** schema.json's secret markings of a resource: input paths (nested types included) and outputs. */
function schemaSecrets(type: ResourceType): { inputs: string[]; outputs: string[] } {
    const schema = JSON.parse(fs.readFileSync(path.join(REPO, "schema.json"), "utf8"));
    const r = schema.resources[TOKEN[type]];
    const inputs: string[] = [];
    for (const [name, p] of Object.entries<any>(r.inputProperties)) {
        if (p.secret) inputs.push(name);
        const ref = typeof p.$ref === "string" && p.$ref.startsWith("#/types/") ? schema.types[p.$ref.slice("#/types/".length)] : undefined;
        for (const [leaf, q] of Object.entries<any>(ref?.properties ?? {})) if (q.secret) inputs.push(`${name}.${leaf}`);
    }
    const outputs = Object.entries<any>(r.properties)
        .filter(([, p]) => p.secret)
        .map(([k]) => k);
    return { inputs: sorted(inputs), outputs: sorted(outputs) };
}

describe("one resource contract: every path marks the same secrets", function () {
    this.timeout(120_000);
    let registrations: Array<{ type: string; name: string; secretInputs: string[]; secretOutputs: string[] }>;
    before(() => {
        registrations = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, "contract-program.js")], { encoding: "utf8", timeout: 100_000 }));
    });

    for (const type of ["BareMetalHost", "Machine"] as ResourceType[]) {
        describe(type, () => {
            const contract = () => ({ inputs: sorted(resourceEntry(type).secretInputs), outputs: sorted(secretOutputNames(type)) });

            it("the contract keeps the BMC and Ironic credentials and the config drive secret", () => {
                const must = ["userData", "networkData", "metaData", "ironic.password", "ironic.token", ...(type === "BareMetalHost" ? ["bmc.password"] : [])];
                expect(contract().inputs).to.include.members(must);
                expect(contract().outputs).to.include("ironic");
            });

            for (const door of ["dynamic", "native"]) {
                it(`the ${door} class sends the contract's secret inputs and secret outputs`, () => {
                    const r = registrations.find((x) => x.name === `${door === "dynamic" ? "dyn" : "native"}-${type === "BareMetalHost" ? "host" : "machine"}`);
                    expect(r, JSON.stringify(registrations)).to.not.equal(undefined);
                    expect(r!.type).to.contain(type);
                    expect(r!.secretInputs, "secret inputs").to.deep.equal(contract().inputs);
                    expect(r!.secretOutputs, "additionalSecretOutputs").to.deep.equal(contract().outputs);
                });
            }

            it("the plugin's check marks the contract's secret inputs on a program's plain literals (YAML, Go)", async () => {
                expect(sorted(await pluginCheck(type))).to.deep.equal(contract().inputs);
            });

            it("the plugin keeps the contract's outputs secret", () => {
                expect(sorted(alwaysSecretOutputs(TOKEN[type]).map((p) => p.join(".")))).to.deep.equal(contract().outputs);
            });

            it("schema.json marks the contract's secrets (inputs, nested ones included; outputs)", () => {
                const s = schemaSecrets(type);
                expect(s.inputs, "inputs").to.deep.equal(contract().inputs);
                const topInputs = contract().inputs.filter((p) => !p.includes("."));
                expect(s.outputs, "outputs").to.deep.equal(sorted([...contract().outputs, ...topInputs]));
            });
        });
    }
});
