// The owner is never an input (issue 20): the plugin refuses an `owner` or `claimOwner` naming
// another stack, the TypeScript classes stamp the running stack over whatever a program passes,
// the stack's owner key is refused when too short to be a secret, and `pulumi-metal3 owner-key`
// prints a fresh 256-bit key.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { HOST_TOKEN, MACHINE_TOKEN, Metal3Provider } from "../sdk/plugin/server";
import { machineProps } from "../sdk/resource-props";
import { configureOwnerKey, setStackOwnerKey, stackOwnerKey } from "../sdk/owner";
import { ownerKeyCommand } from "../cli/owner-key";

const providerProto = require("@pulumi/pulumi/proto/provider_pb");

const structProto = require("google-protobuf/google/protobuf/struct_pb");

async function pluginFailures(token: string, news: Record<string, unknown>): Promise<string[]> {
    const req = new providerProto.CheckRequest();
    req.setUrn(`urn:pulumi:dev::proj::${token}::r-0`);
    req.setType(token);
    req.setName("r-0");
    req.setOlds(structProto.Struct.fromJavaScript({}));
    req.setNews(structProto.Struct.fromJavaScript(news));
    const check = new Metal3Provider().service().check as (call: unknown, cb: (e: unknown, r?: any) => void) => void;
    const resp = await new Promise<any>((resolve, reject) => check({ request: req }, (e, r) => (e ? reject(e) : resolve(r))));
    return resp.getFailuresList().map((f: any) => `${f.getProperty()}: ${f.getReason()}`);
}

describe("the owner is not an input", () => {
    const host = {
        bmc: { address: "ipmi://10.0.0.7", username: "admin", password: "pw" },
        online: false,
        bootMACAddress: "52:54:00:00:00:07",
        ironic: { url: "http://127.0.0.1:6385" },
    };
    const machine = { image: { url: "http://x/os.iso", diskFormat: "live-iso" }, ironic: { url: "http://127.0.0.1:6385" } };

    it("the plugin refuses an owner or claimOwner naming another stack, and accepts its own", async () => {
        expect(await pluginFailures(HOST_TOKEN, { ...host, owner: { stack: "proj/prod", resource: "r-0" } })).to.deep.equal([
            "owner: is not an input: the provider records the declaring stack itself (proj/dev, resource r-0)",
        ]);
        expect(await pluginFailures(MACHINE_TOKEN, { ...machine, claimOwner: "proj/prod" })).to.deep.equal([
            "claimOwner: is not an input: the provider records the declaring stack itself (proj/dev)",
        ]);
        expect(await pluginFailures(MACHINE_TOKEN, { ...machine, claimOwner: "proj/dev" })).to.deep.equal([]);
    });

    it("the TypeScript Machine stamps the running stack over a claimOwner the program passes", () => {
        pulumi.runtime.setMocks({ newResource: () => ({ id: "x", state: {} }), call: () => ({}) }, "proj", "dev", false);
        const props = machineProps("m0", { claimOwner: "someone/else" } as never, []);
        expect(props.claimOwner).to.equal("proj/dev");
    });
});

describe("the stack's owner key", () => {
    afterEach(() => setStackOwnerKey(undefined));

    it("is read from stack config, refused when too short to be a secret, unset when absent", () => {
        configureOwnerKey((k) => (k === "pulumi-metal3:ownerKey" ? "f".repeat(64) : undefined));
        expect(stackOwnerKey()).to.equal("f".repeat(64));
        expect(() => configureOwnerKey(() => "short")).to.throw(/pulumi-metal3:ownerKey .* is 5 characters; an owner key needs at least 32/);
        configureOwnerKey(() => undefined);
        expect(stackOwnerKey()).to.equal(undefined);
    });

    it("`pulumi-metal3 owner-key` prints a new random 256-bit key each time", async () => {
        const printed: string[] = [];
        const write = process.stdout.write;
        process.stdout.write = ((s: string) => (printed.push(s), true)) as typeof process.stdout.write;
        try {
            expect(await ownerKeyCommand([])).to.equal(0);
            expect(await ownerKeyCommand([])).to.equal(0);
        } finally {
            process.stdout.write = write;
        }
        expect(printed).to.have.length(2);
        for (const p of printed) expect(p).to.match(/^[0-9a-f]{64}\n$/);
        expect(printed[0]).to.not.equal(printed[1]);
        expect(await ownerKeyCommand(["--bogus"])).to.equal(2);
    });
});
